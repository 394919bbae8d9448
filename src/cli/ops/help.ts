/** `pipeline <command> --help` for the commands that operate the deployed stack. */

const COMMON = `Stack and config (every command):
  --stack <name>    CloudFormation stack to operate (default <name>-<env> from the
                    config, e.g. landing-to-lake-dev); its outputs name every resource
  --env <name>      environment block of the config (default dev)
  --config <file>   pipeline config (default config/pipeline.json)
AWS credentials and region come from the usual places (AWS_PROFILE, AWS_REGION, ...);
AWS_ENDPOINT_URL points the command at an emulator.`;

const EXITS = (one: string) => `Exit codes: 0 ok; 1 ${one}; 2 bad usage, bad config, unknown dataset, no stack
or no credentials; 3 an AWS call failed unexpectedly (message on stderr).`;

export const OPS_HELP: Record<'status' | 'reconcile' | 'redrive' | 'replay', string> = {
  status: `pipeline status [--dataset <name>] [--json]

Health of the deployed pipeline at a glance:
  per dataset   last successful load, its age against the freshness SLA, files
                (succeeded/quarantined/failed) and rows (in/out/quarantined) of
                the last 24 h from the manifests, row quarantine ratio
  queues        messages in the ingest queue, ingest DLQ, rule-target DLQ,
                failed queue and failed DLQ (any DLQ message is shown in red)
  alarms        count per state of the <name>-<env>-* alarms, and each one in ALARM
  executions    running executions; failed ones of the last 24 h with error and cause

  --dataset <name>  only this dataset (and its failed executions)
  --json            the same as one JSON document, for scripts

${COMMON}

Examples:
  pipeline status
  pipeline status --env prod --dataset orders
  pipeline status --json | jq '.queues'

${EXITS('(not used)')}`,

  reconcile: `pipeline reconcile [--dataset <name>] [--since <time>] [--json]

The fate of every object version under landing/<dataset>/ (ListObjectVersions;
the latest objects where versions cannot be listed), from its key's manifest
(manifests/<dataset>/<sourceId>.json, which vouches for a version only when its
versionId, or else its ETag, matches) and the running executions:
  gold        the manifest says succeeded
  quarantine  the file was quarantined (reason shown)
  failed      the manifest says failed (reason shown)
  in-flight   an execution for the key is running
  superseded  an older version of a key whose newer version was processed
  unrouted    a suffix no rule routes: never processed (reported, exit stays 0)
  missing     none of these: the event was lost or never produced -> exit 1

  --dataset <name>  only this dataset (default: all)
  --since <time>    only objects last modified at or after <time>
  --json            every object with its fate, and the totals

<time> is ISO 8601 (2026-11-20, 2026-11-20T10:00:00Z) or an age (30m, 24h, 7d).

${COMMON}

Examples:
  pipeline reconcile --since 24h
  pipeline reconcile --dataset orders --since 2026-11-20 --json | jq '.objects[] | select(.fate=="missing")'

${EXITS('something is missing')}`,

  redrive: `pipeline redrive <ingest|target|failed> [--max <n>] [--json]

Moves dead-lettered messages back to where they came from:
  ingest   ingest DLQ          -> ingest queue (the dispatcher retries the S3 events)
  target   rule-target DLQ     -> ingest queue (EventBridge parks the original event
                                  as the message body; it is sent unchanged)
  failed   failed DLQ          -> failed queue (it does not re-run files: that is replay)

Uses SQS's own message move task where the endpoint supports it (ingest,
failed, no --max); otherwise receives, sends to the source queue and deletes
from the DLQ only after the send succeeded, so a failed send leaves the message
in the DLQ. Progress on stderr, the final count on stdout.

  --max <n>   move at most n messages (uses the receive-send-delete loop)
  --json      the final count as JSON

${COMMON}

Examples:
  pipeline redrive ingest
  pipeline redrive target --max 100
  pipeline redrive failed --env prod

${EXITS('some messages could not be sent and stay in the DLQ')}`,

  replay: `pipeline replay --dataset <name> [--prefix <p>] [--from <time>] [--to <time>] [--run-id <id>] [--distributed] [--dry-run] [--json]

Runs landed files through the file state machine again (after a contract or
code fix, or to backfill): one execution per file (latest version of each key
under landing/<dataset>/<p> whose suffix the dataset routes, last modified in
[--from, --to]), with the input the dispatcher would have built, under the name
replay-<run id>-<dataset>-<hash of key and version>. The run id is a hash of
the arguments, so running the same command twice starts nothing twice (files
landed since are started); pass --run-id to replay the same files once more.
Starts 8 at a time; progress on stderr, a summary on stdout.

Over 1000 files without --from/--to (or with --distributed) one execution of
the stack's ReplayMachine starts them instead: a Step Functions Distributed Map
over the prefix (s3:listObjectsV2), so a large backfill runs in AWS.

  --dataset <name>  the dataset (required)
  --prefix <p>      under landing/<dataset>/ (or a full landing/<dataset>/... prefix)
  --from/--to <t>   last-modified range; ISO 8601 or an age (30m, 24h, 7d)
  --run-id <id>     1-8 characters [A-Za-z0-9_-]: name a new replay of the same files
  --distributed     use the ReplayMachine whatever the count (no --from/--to)
  --dry-run         list the files, start nothing
  --json            summary as JSON

${COMMON}

Examples:
  pipeline replay --dataset orders --prefix 2026/11/ --dry-run
  pipeline replay --dataset sales --from 2026-11-01 --to 2026-11-07
  pipeline replay --dataset sales --from 2026-11-01 --to 2026-11-07 --run-id fix2
  pipeline replay --dataset events --distributed

${EXITS('some files could not be started')}`,
};
