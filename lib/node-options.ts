/**
 * Node options of every pipeline Lambda, shared with the bench so that it runs the
 * stage as the Lambda does.
 *
 * `--max-semi-space-size=8` (MB): V8 sizes its young generation from the memory it
 * sees, up to 32 MB a semi-space on a large host. The stage allocates short-lived
 * rows and strings at a high rate, so a large young generation is mostly garbage
 * that is counted in peak RSS; at 8 MB the stage's peak RSS stays inside its bound
 * with no measurable CPU cost (README, Performance).
 */
export const LAMBDA_V8_FLAGS = ['--max-semi-space-size=8'] as const;

export const LAMBDA_NODE_OPTIONS = ['--enable-source-maps', ...LAMBDA_V8_FLAGS].join(' ');
