import { describe, expect, it } from 'vitest';
import { ApiError, errorMessage, parseLive } from './api.js';

describe('parseLive', () => {
  it('passes an answer of the live query through', () => {
    const answer = { type: 'result', time: 1, rows: [], failures: [], agentsAsked: 0, agentsAnswered: 0, durationMs: 3 };
    expect(parseLive(JSON.stringify(answer))).toEqual(answer);
  });

  it('turns a message that is not JSON (a proxy page, a cut line) into an error message saying so, instead of throwing', () => {
    const m = parseLive('<html>502 Bad Gateway</html>');
    expect(m).toMatchObject({ type: 'error', code: 'BW_ERR_INTERNAL' });
    expect(m.type === 'error' && m.message).toBe('the live query sent a message that is not JSON: <html>502 Bad Gateway</html>');
  });
});

describe('errorMessage', () => {
  it("gives an API error's code and message, another error's message", () => {
    expect(errorMessage(new ApiError('BW_ERR_FORBIDDEN', 'needs the admin role', 403))).toBe('BW_ERR_FORBIDDEN: needs the admin role');
    expect(errorMessage(new SyntaxError('Unexpected token <'))).toBe('Unexpected token <');
    expect(errorMessage('plain')).toBe('plain');
  });
});
