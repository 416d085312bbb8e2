// The sheets connector through the real @googleapis/sheets SDK and google-auth-library's JWT
// client: against Prism serving Google's description, and against a stateful local Sheets
// (test/support/sheets-server.ts) that forwards every request to that Prism first and runs the
// service-account token exchange, for what needs state: a retried append makes one row, and
// each rollback restores the sheet exactly.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Registry } from '../../actions/registry.ts';
import { Tables } from '../../actions/tables.ts';
import type { ActionContext, ActionDefinition, ContextSource } from '../../actions/define.ts';
import { isBatonError } from '../../core/errors.ts';
import { OutboundPolicy } from '../../outbound/policy.ts';
import { openConnectors, readConnectors, type OpenConnector } from '../configure.ts';
import { connectorContract } from '../../../test/support/connector-contract.ts';
import { startPrism, type Prism } from '../../../test/support/prism.ts';
import { startSheetsServer, type SheetsServer } from '../../../test/support/sheets-server.ts';
import { sheets } from './connector.ts';

const keyPair = () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { pem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), publicKey };
};
const { pem, publicKey } = keyPair();
const clientEmail = 'baton-test@project.iam.gserviceaccount.com';
const credentials = { type: 'service_account', client_email: clientEmail, private_key: pem };
const tmp = mkdtempSync(path.join(tmpdir(), 'baton-sheets-'));

let prism: Prism;
let server: SheetsServer;
beforeAll(async () => {
  prism = await startPrism('google-sheets-v4.json', { errors: true });
  server = await startSheetsServer({ clientEmail, publicKey, prismUrl: prism.url });
}, 60_000);
afterAll(async () => {
  await server?.close();
  await prism?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const SHEET = "Q1 'orders'";
type Grid = Array<Array<string | number | boolean>>;
const ORDERS: Grid = [
  ['order', 'customer', 'status', 'amount', 'total', 'baton_key'],
  ['A-1', 'Ada', 'open', 10, '=D2*2', ''],
  ['A-2', 'Bob', '', 20, '=D3*2', ''],
  ['A-3', 'Cy', 'paid', 30, '', ''],
];
const grid = (): Grid => server.spreadsheets.get('sheet1')!.sheets.find((s) => s.title === SHEET)!.grid;
/** The grid as Google's values answer shows it (trailing empty cells and rows left out). */
const shown = (g: Grid) => {
  const rows = g.map((r) => {
    const row = [...r];
    while (row.length && row.at(-1) === '') row.pop();
    return row;
  });
  while (rows.length && rows.at(-1)!.length === 0) rows.pop();
  return rows;
};

async function open(settings: Record<string, unknown>) {
  const { configured, problems } = readConnectors({ gs: { type: 'sheets', ...settings } });
  if (problems.length) throw new Error(JSON.stringify(problems));
  const registry = new Registry(new Tables(new Map()));
  const [opened] = (await openConnectors(configured, registry, {
    outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
    projectDir: tmp,
    people: { usersOf: () => [], person: () => undefined },
  })) as [OpenConnector];
  return {
    opened,
    action: (id: string) => registry.action(`gs.${id}`) as ActionDefinition<Record<string, unknown>, unknown>,
    source: (id: string) => registry.source(`gs.${id}`) as unknown as ContextSource<Record<string, unknown>>,
  };
}

const ctxOf = (key = 'h1:step1'): ActionContext => ({
  handoffId: 'h1',
  flow: 'orders',
  actionId: 'gs.append_row',
  idempotencyKey: key,
  owner: 'ops',
  signal: AbortSignal.timeout(20_000),
  outbound: new OutboundPolicy({ allowHosts: ['127.0.0.1'] }),
});
const sourceCtx = () => ({ handoffId: 'h1', flow: 'orders', signal: AbortSignal.timeout(20_000) });

describe('sheets against the stateful server (requests validated by Prism)', () => {
  let gs: Awaited<ReturnType<typeof open>>;
  beforeAll(async () => {
    gs = await open({
      credentials,
      tokenUri: server.tokenUrl,
      rootUrl: server.url,
      spreadsheetId: 'sheet1',
      untrustedColumns: ['customer'],
    });
  });
  beforeEach(() => {
    server.spreadsheets.set('sheet1', {
      title: 'Orders',
      sheets: [
        { sheetId: 0, title: 'Other', grid: [['x']] },
        { sheetId: 7, title: SHEET, grid: ORDERS.map((r) => [...r]) },
      ],
    });
    server.violations.length = 0;
  });

  it('check reads the spreadsheet with a token from the JWT exchange', async () => {
    expect(await gs.opened.instance.check(AbortSignal.timeout(10_000))).toBe(
      'spreadsheet "Orders" (2 sheets)',
    );
    expect(server.tokensIssued).toBeGreaterThan(0);
    expect(server.violations).toEqual([]);
  });

  it('find_row: the first matching row by header, null when none, untrusted columns declared', async () => {
    const find = gs.source('find_row');
    expect(find.untrustedFields).toEqual(['customer']);
    expect(await find.fetch({ sheet: SHEET, column: 'order', value: 'A-2' }, sourceCtx())).toEqual({
      order: 'A-2',
      customer: 'Bob',
      status: '',
      amount: 20,
      total: '=D3*2',
      baton_key: '',
    });
    expect(await find.fetch({ sheet: SHEET, column: 'amount', value: 30 }, sourceCtx())).toMatchObject({
      order: 'A-3',
    });
    expect(await find.fetch({ sheet: SHEET, column: 'order', value: 'nope' }, sourceCtx())).toBeNull();
    const err = await Promise.resolve(
      find.fetch({ sheet: SHEET, column: 'colour', value: 'x' }, sourceCtx()),
    ).catch((e: unknown) => e);
    expect(isBatonError(err) && !err.retryable && /no column colour/.test(err.message)).toBe(true);
    expect(server.violations).toEqual([]);
  });

  it('append_row: a retried append finds its row by the key and makes one; rollback deletes it, twice harmlessly', async () => {
    const before = shown(grid());
    const append = gs.action('append_row');
    const p = append.params.parse({
      sheet: SHEET,
      values: { order: 'A-4', customer: "Dee'; =1+1", amount: 40 },
    });
    const ctx = ctxOf('h1:append');
    const first = await append.run(p, ctx);
    expect(first).toMatchObject({ row: 5, key: 'h1:append', existing: false });
    expect(grid()[4]).toEqual(['A-4', "Dee'; =1+1", '', 40, '', 'h1:append']);
    const again = await append.run(p, ctx);
    expect(again).toMatchObject({ row: 5, existing: true });
    expect(grid()).toHaveLength(5);
    // Someone inserts a row above it: the rollback still deletes the row holding the key.
    grid().splice(1, 0, ['A-0', 'Eve', 'open', 1, '', '']);
    await append.rollback!(p, first, { ...ctx, undo: undefined });
    expect(shown(grid())).toEqual([before[0], ['A-0', 'Eve', 'open', 1], ...before.slice(1)]);
    await append.rollback!(p, first, { ...ctx, undo: undefined });
    grid().splice(1, 1);
    expect(shown(grid())).toEqual(before);
    expect(server.requests).toContain('POST /v4/spreadsheets/sheet1:batchUpdate');
    expect(server.violations).toEqual([]);
  });

  it('append_row refuses unknown headers and a key column given by the flow, appending nothing', async () => {
    const append = gs.action('append_row');
    const err = await append
      .run(append.params.parse({ sheet: SHEET, values: { colour: 'red' } }), ctxOf())
      .catch((e: unknown) => e);
    expect(isBatonError(err) && !err.retryable).toBe(true);
    expect(append.params.safeParse({ sheet: SHEET, values: { baton_key: 'forged' } }).success).toBe(false);
    expect(shown(grid())).toEqual(shown(ORDERS));
  });

  it('update_cells: capture, run, rollback restores the cells exactly (a formula, an empty cell, a number), twice harmlessly', async () => {
    const update = gs.action('update_cells');
    const p = update.params.parse({
      sheet: SHEET,
      keyColumn: 'order',
      keyValue: 'A-2',
      cells: { status: 'shipped', amount: 25, total: null },
    });
    const ctx = ctxOf('h1:update');
    const undo = await update.capture!(p, ctx);
    expect(undo).toEqual({ previous: { status: '', amount: 20, total: '=D3*2' } });
    const result = await update.run(p, ctx);
    expect(result).toEqual({ row: 3, updatedCells: 3 });
    expect(grid()[2]).toEqual(['A-2', 'Bob', 'shipped', 25, '', '']);
    await update.run(p, ctx);
    expect(grid()[2]).toEqual(['A-2', 'Bob', 'shipped', 25, '', '']);
    // A row sorted in above it: the rollback finds A-2 by its key, not by the old row number.
    grid().splice(1, 0, ['A-0', 'Eve', 'open', 1, '', '']);
    await update.rollback!(p, result, { ...ctx, undo });
    expect(grid()[3]).toEqual(['A-2', 'Bob', '', 20, '=D3*2', '']);
    await update.rollback!(p, result, { ...ctx, undo });
    grid().splice(1, 1);
    expect(shown(grid())).toEqual(shown(ORDERS));
    expect(server.violations).toEqual([]);
  });

  it('update_cells on a key no row holds is a non-retryable error and changes nothing', async () => {
    const update = gs.action('update_cells');
    const p = update.params.parse({
      sheet: SHEET,
      keyColumn: 'order',
      keyValue: 'Z-9',
      cells: { status: 'x' },
    });
    const err = await update.run(p, ctxOf()).catch((e: unknown) => e);
    expect(isBatonError(err) && !err.retryable && /no row/.test(err.message)).toBe(true);
    expect(
      update.params.safeParse({ sheet: SHEET, keyColumn: 'order', keyValue: 'A-1', cells: { order: 'B' } })
        .success,
    ).toBe(false);
    expect(shown(grid())).toEqual(shown(ORDERS));
  });

  it('the server refuses what Google’s description refuses (validation is on)', async () => {
    const headers = { authorization: `Bearer ${server.mintToken()}`, 'content-type': 'application/json' };
    const bad = await fetch(
      `${server.url}/v4/spreadsheets/sheet1/values/A1:append?valueInputOption=SOMETIMES`,
      {
        method: 'POST',
        headers,
        body: '{"values":"abc"}',
      },
    );
    expect(bad.status).toBe(400);
    expect(server.violations).toHaveLength(1);
    const anonymous = await fetch(`${server.url}/v4/spreadsheets/sheet1`, {
      headers: { authorization: 'Bearer nope' },
    });
    expect(anonymous.status).toBe(401);
  });

  it('the key JSON may come as text (from ${ENV}), and its private key is a secret', () => {
    const { configured, problems } = readConnectors({
      gs: { type: 'sheets', credentials: JSON.stringify(credentials), rootUrl: server.url },
    });
    expect(problems).toEqual([]);
    expect(configured[0]!.secretValues).toContain(pem);
    expect(JSON.stringify(configured[0]!.display)).not.toContain('PRIVATE KEY');
  });

  it('a service account key file works as well; a wrong key is refused, without the key in the error', async () => {
    const file = path.join(tmp, 'key.json');
    writeFileSync(file, JSON.stringify(credentials));
    const viaFile = await open({
      keyFile: 'key.json',
      tokenUri: server.tokenUrl,
      rootUrl: server.url,
      spreadsheetId: 'sheet1',
    });
    expect(
      await viaFile.source('find_row').fetch({ sheet: SHEET, column: 'order', value: 'A-1' }, sourceCtx()),
    ).toMatchObject({ customer: 'Ada' });
    const other = keyPair();
    const wrong = await open({
      credentials: { client_email: clientEmail, private_key: other.pem },
      tokenUri: server.tokenUrl,
      rootUrl: server.url,
      spreadsheetId: 'sheet1',
    });
    const err = await wrong.opened.instance.check(AbortSignal.timeout(10_000)).catch((e: unknown) => e);
    expect(isBatonError(err) && !err.retryable, String(err)).toBe(true);
    expect((err as Error).message + String((err as Error).stack)).not.toContain(other.pem.slice(40, 100));
  });

  it('an aborted call stops', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stopped'));
    await expect(
      Promise.resolve(
        gs
          .source('find_row')
          .fetch({ sheet: SHEET, column: 'order', value: 'A-1' }, { ...sourceCtx(), signal: ac.signal }),
      ),
    ).rejects.toThrow(/stopped|abort/i);
  });
});

describe('sheets straight against Prism', () => {
  it('find_row and append_row make requests the description accepts', async () => {
    const gs = await open({
      credentials,
      tokenUri: server.tokenUrl,
      rootUrl: prism.url,
      spreadsheetId: 'abc',
    });
    const logFrom = prism.log().length;
    // Prism answers from Google's examples, which are not a real sheet: only a refusal (4xx)
    // of the request itself would fail here.
    const outcome = async (p: unknown) => {
      try {
        await p;
        return 'ok';
      } catch (e) {
        return isBatonError(e) && typeof e.context.status === 'number'
          ? `status ${String(e.context.status)}`
          : 'other';
      }
    };
    const find = gs.source('find_row');
    expect(await outcome(find.fetch({ sheet: 'Sheet1', column: 'a', value: 'b' }, sourceCtx()))).not.toMatch(
      /status 4/,
    );
    const append = gs.action('append_row');
    const p = append.params.parse({ sheet: 'Sheet1', values: {} });
    expect(await outcome(append.run(p, ctxOf()))).not.toMatch(/status 4/);
    expect(prism.log().slice(logFrom)).toMatch(/get \/v4\/spreadsheets\/abc\/values\//);
    expect(prism.log().slice(logFrom)).not.toMatch(/Request (body|query|header)[^\n]*(must|should)/i);
  });
});

connectorContract({
  definition: sheets as never,
  settings: { credentials, tokenUri: 'http://127.0.0.1:9/token', spreadsheetId: 'sheet1' },
  hostile: (base) => ({ credentials, tokenUri: server.tokenUrl, rootUrl: base, spreadsheetId: 'sheet1' }),
  read: async (inst, signal) =>
    inst.sources[0]!.fetch(
      { sheet: 'Sheet1', column: 'a', value: 'b' },
      { handoffId: 'h', flow: 'f', signal },
    ),
});
