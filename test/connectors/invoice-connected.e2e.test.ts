// The invoice-approval example with its connectors configured: the vendor row from a Google
// Sheet (a local stateful Sheets checked by Prism, service-account JWT), the purchase order from
// a SQL database (a SQLite file, a declared lookup statement) and the mail to finance over a real
// SMTP server.
import { generateKeyPairSync } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXAMPLES, openTemp, intakeActor } from '../support/project.ts';
import { startSheetsServer, type SheetsServer } from '../support/sheets-server.ts';
import { startPrism, type Prism } from '../support/prism.ts';
import { startSmtp, type TestSmtp } from '../support/smtp.ts';

let prism: Prism;
let sheets: SheetsServer;
let smtp: TestSmtp;
let env: Awaited<ReturnType<typeof openTemp>> | undefined;
const clientEmail = 'baton@acme-ops.iam.gserviceaccount.com';
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const credentials = {
  type: 'service_account',
  client_email: clientEmail,
  private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
};

beforeAll(async () => {
  prism = await startPrism('google-sheets-v4.json');
  sheets = await startSheetsServer({ clientEmail, publicKey, prismUrl: prism.url });
  sheets.spreadsheets.set('vendors-book', {
    title: 'Vendors',
    sheets: [
      {
        sheetId: 1,
        title: 'Vendors',
        grid: [
          ['id', 'name', 'status', 'terms'],
          ['acme-parts', 'Acme Parts', 'approved', 'net 30'],
        ],
      },
    ],
  });
  smtp = await startSmtp();
  process.env.SHEETS_KEY = JSON.stringify(credentials);
}, 90_000);
afterAll(async () => {
  await env?.close();
  await sheets?.close();
  await prism?.close();
  await smtp?.close();
  delete process.env.SHEETS_KEY;
});

describe('invoice-approval with Sheets, SQL and email configured', () => {
  it('reads the vendor from the sheet and the PO from the database, and emails finance', async () => {
    const yaml = `${readFileSync(path.join(EXAMPLES, 'baton.yaml'), 'utf8')}
outbound: { allowHosts: [127.0.0.1] }
connectors:
  sheets: { credentials: "\${SHEETS_KEY}", tokenUri: "${sheets.tokenUrl}", rootUrl: "${sheets.url}", spreadsheetId: vendors-book }
  erp:
    type: sql
    url: sqlite:./erp.db
    statements:
      find_po: { kind: lookup, sql: "SELECT number, status, amount FROM po WHERE number = :number", params: { number: string } }
  email: { smtp: { host: 127.0.0.1, port: ${smtp.port} }, from: "Baton <baton@example.com>" }
`;
    env = await openTemp({ 'baton.yaml': yaml }, { worker: false });
    const db = new DatabaseSync(path.join(env.dir, 'erp.db'));
    db.exec(
      "CREATE TABLE po (number TEXT PRIMARY KEY, status TEXT, amount REAL); INSERT INTO po VALUES ('PO-77', 'open', 900)",
    );
    db.close();
    const { baton } = env;
    const { id } = await baton.send(
      'invoice-approval',
      {
        id: 'INV-5',
        vendor: 'acme-parts',
        amount: 900,
        currency: 'USD',
        dueDate: '2026-12-31',
        poNumber: 'PO-77',
        requestedBy: 'olga',
      },
      intakeActor,
    );
    let h = await baton.get(id);
    for (
      let i = 0;
      i < 200 && ['received', 'building_context', 'deciding', 'acting'].includes(h.state);
      i++
    ) {
      await baton.engine.drain();
      await new Promise((r) => setTimeout(r, 20));
      h = await baton.get(id);
    }
    expect([h.state, h.events.at(-2)?.data]).toEqual(['handed_off', expect.anything()]);
    expect(h.provenance?.map((p) => [p.name, p.use])).toEqual([
      ['vendor', 'sheets.find_row'],
      ['po', 'erp.find_po'],
    ]);
    expect(h.context).toMatchObject({
      vendor: { name: 'Acme Parts', status: 'approved' },
      po: { rows: [{ number: 'PO-77', status: 'open' }], rowCount: 1 },
    });
    expect(h.actions.find((a) => a.id === 'tell')).toMatchObject({
      use: 'email.notify_owner',
      state: 'succeeded',
    });
    const mail = smtp.messages.find(
      (m) => m.subject === 'Invoice INV-5 from Acme Parts is ready for payment',
    )!;
    expect(mail.text).toContain('USD 900, due 2026-12-31, PO open');
    expect(sheets.violations).toEqual([]);
  });
});
