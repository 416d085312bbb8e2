import { boardContract } from '../board-contract.ts';
import { storeContract } from '../contract.ts';
import { intakeStoreContract } from '../intake-contract.ts';
import { openTestStore } from './testing.ts';

storeContract('PostgreSQL', () => openTestStore());
intakeStoreContract('PostgreSQL', () => openTestStore());
boardContract('PostgreSQL', () => openTestStore());
