/**
 * Node options of every pipeline Lambda, shared with the bench so that it runs the
 * stage with the same young generation.
 *
 * `--max-semi-space-size=8` (MB): V8 sizes its young generation from the memory it
 * sees (tens of MB a semi-space on a large host). The stage allocates short-lived
 * rows and strings at a high rate, so a large young generation is mostly garbage
 * that is counted in peak RSS; at 8 MB the stage's peak RSS stays inside its bound
 * with no measurable CPU cost (README, Performance).
 *
 * Where the runtime passes its own size on node's command line, that one applies
 * (Node lets the command line override NODE_OPTIONS): AWS's Node bootstrap has passed
 * a semi-space of a twentieth of the function's memory (102 MB at 2048 MB). The
 * flag then holds on the emulators and in the bench, and on AWS the young
 * generation is bounded by the function's memory, not by the input.
 */
export const LAMBDA_V8_FLAGS = ['--max-semi-space-size=8'] as const;

export const LAMBDA_NODE_OPTIONS = ['--enable-source-maps', ...LAMBDA_V8_FLAGS].join(' ');
