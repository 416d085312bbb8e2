import { describe, expect, it } from 'vitest';
import { replyText } from './reply-text.ts';

describe('replyText', () => {
  it('keeps what was written above the attribution and drops the quote', () => {
    const text =
      'Yes, ship it.\nThanks\n\nOn Mon, 7 Dec 2026 at 10:00, Baton <baton@example.com> wrote:\n> Approval needed\n> for L-1\n';
    expect(replyText(text)).toBe('Yes, ship it.\nThanks');
  });

  it('finds an attribution wrapped over two lines, and Outlook’s original-message block', () => {
    expect(replyText('Done.\n\nOn Mon, 7 Dec 2026 at 10:00, Baton <baton@\nexample.com> wrote:\n> x')).toBe(
      'Done.',
    );
    expect(replyText('Fine by me\r\n\r\n-----Original Message-----\r\nFrom: Baton\r\nold text')).toBe(
      'Fine by me',
    );
  });

  it('drops quoted lines anywhere and the signature', () => {
    expect(replyText('> earlier\nmine\n> more\nalso mine\n-- \nKim\nAcme')).toBe('mine\nalso mine');
  });

  it('gives an empty text when the reply only quotes', () => {
    expect(replyText('> a\n> b')).toBe('');
  });
});
