import { storeContract } from '../contract.ts';
import { openTestStore } from './testing.ts';

storeContract('PostgreSQL', () => openTestStore());
