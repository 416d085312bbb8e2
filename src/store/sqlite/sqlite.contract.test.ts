import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { boardContract } from '../board-contract.ts';
import { storeContract } from '../contract.ts';
import { intakeStoreContract } from '../intake-contract.ts';
import { SqliteStore } from './store.ts';
import { ThreadedSqliteStore } from './threaded.ts';

const file = () => path.join(mkdtempSync(path.join(tmpdir(), 'baton-contract-')), 'c.db');

storeContract('SQLite', async () => new SqliteStore({ file: file() }));
storeContract('SQLite with a writer thread', () => ThreadedSqliteStore.open(file()));

intakeStoreContract('SQLite', async () => new SqliteStore({ file: file() }));
intakeStoreContract('SQLite with a writer thread', () => ThreadedSqliteStore.open(file()));

boardContract('SQLite', async () => new SqliteStore({ file: file() }));
boardContract('SQLite with a writer thread', () => ThreadedSqliteStore.open(file()));
