import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config';
import { machines, synth, type Asl, type Retrier } from './synth';

/**
 * Throttling waited out, execution timeouts longer than the worst retry path,
 * and bounds on what runs at once, read from the synthesized template.
 */

let t: Template;
beforeAll(() => {
  t = synth().template;
});
const cfg = loadConfig('config/pipeline.json', 'dev');

const waits = (r: Retrier) => {
  let total = 0;
  for (let i = 0; i < (r.MaxAttempts ?? 3); i++) total += Math.min((r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** i, r.MaxDelaySeconds ?? Infinity);
  return total;
};
const THROTTLE = 'Lambda.TooManyRequestsException';

/**
 * Worst case, from the definition alone: every Task state on the way to
 * Failed uses every retry; each attempt runs to its TimeoutSeconds, except a
 * throttled Invoke, which Lambda refuses before running (5 s allowed each).
 */
function worstCase(asl: Asl): { total: number; perState: Record<string, number> } {
  const perState: Record<string, number> = {};
  for (const [name, s] of Object.entries(asl.States)) {
    if (s.Type !== 'Task') continue;
    expect(s.TimeoutSeconds, `${name} has a task timeout`).toBeGreaterThan(0);
    const timeout = s.TimeoutSeconds as number;
    let seconds = timeout;
    for (const r of s.Retry ?? []) seconds += waits(r) + (r.MaxAttempts ?? 3) * (r.ErrorEquals.length === 1 && r.ErrorEquals[0] === THROTTLE ? 5 : timeout);
    perState[name] = seconds;
  }
  return { total: Object.values(perState).reduce((a, b) => a + b, 0), perState };
}

describe('retries', () => {
  it('throttling has its own retrier worth tens of minutes; the transient one covers ClientExecutionTimeout; no stage retries a DataError', () => {
    const { file } = machines(t);
    for (const s of ['Validate', 'Transform', 'Publish', 'Quarantine']) {
      const retry = file.States[s].Retry!;
      const throttle = retry.find((r) => r.ErrorEquals.includes(THROTTLE))!;
      expect(throttle.ErrorEquals).toEqual([THROTTLE]);
      expect(waits(throttle) / 60).toBeGreaterThanOrEqual(20);
      expect(waits(throttle) / 60).toBeLessThan(60);
      const transient = retry.find((r) => r !== throttle)!;
      expect(transient.ErrorEquals).toContain('Lambda.ClientExecutionTimeoutException');
      expect(transient.ErrorEquals).not.toContain(THROTTLE);
      expect(JSON.stringify(retry)).not.toContain('DataError');
    }
  });

  it('the execution timeout is longer than the worst-case retry path computed from the definition', () => {
    const { file } = machines(t);
    const { total, perState } = worstCase(file);
    expect(Object.keys(perState).sort()).toEqual(['NotifyFailed', 'Publish', 'Quarantine', 'Transform', 'Validate']);
    expect(file.TimeoutSeconds).toBeGreaterThan(total);
    // And not absurdly longer: a stuck execution still ends the same day.
    expect(file.TimeoutSeconds!).toBeLessThan(total + 2 * 3600);
  });

  it('the replay machine retries start faults but catches ExecutionAlreadyExists without retrying it, and outlives its children', () => {
    const { replay, file } = machines(t);
    const start = (replay.States.EachLandedFile as { ItemProcessor: Asl }).ItemProcessor.States.StartFile;
    expect(start.Resource).toBe('arn:REF:states:::states:startExecution.sync:2');
    for (const r of start.Retry ?? [])
      expect(r.ErrorEquals.some((e) => e === 'States.TaskFailed' || e === 'States.ALL' || e.includes('ExecutionAlreadyExists'))).toBe(false);
    expect(start.Catch!.map((c) => c.ErrorEquals)).toEqual([['StepFunctions.ExecutionAlreadyExistsException'], ['States.TaskFailed']]);
    expect(replay.TimeoutSeconds).toBeGreaterThan(file.TimeoutSeconds!);
  });
});

describe('concurrency bounds', () => {
  it('the replay map waits for each file and runs at most concurrency.replayFiles at once', () => {
    const { replay } = machines(t);
    expect((replay.States.EachLandedFile as { MaxConcurrency: number }).MaxConcurrency).toBe(cfg.concurrency.replayFiles);
  });

  it('the dispatcher event source has a maximum concurrency from config', () => {
    const [esm] = Object.values(t.findResources('AWS::Lambda::EventSourceMapping'));
    expect(esm.Properties.ScalingConfig).toEqual({ MaximumConcurrency: cfg.concurrency.dispatchers });
  });

  it('stage functions reserve the concurrency config gives them (none where it says 0)', () => {
    const fns = Object.entries(t.findResources('AWS::Lambda::Function'));
    for (const [stage, n] of Object.entries(cfg.concurrency.reserved)) {
      const [, fn] = fns.find(([id]) => id.startsWith(`Orchestration${stage[0].toUpperCase()}${stage.slice(1)}Function`))!;
      expect(fn.Properties.ReservedConcurrentExecutions, stage).toBe(n || undefined);
    }
    expect(cfg.concurrency.reserved.transform).toBeGreaterThan(0);
    expect(cfg.concurrency.reserved.quarantine).toBeGreaterThan(0);
    // A replay at full width fits inside Transform's reservation, so it does not throttle itself.
    expect(cfg.concurrency.replayFiles).toBeLessThanOrEqual(cfg.concurrency.reserved.transform);
  });
});

describe('the failed queue', () => {
  it('keeps messages 14 days and its oldest message age is alarmed', () => {
    const queues = Object.entries(t.findResources('AWS::SQS::Queue'));
    const [failedId, failed] = queues.find(([id]) => id.startsWith('OrchestrationFailedQueue'))!;
    expect(failed.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const alarms = Object.values(t.findResources('AWS::CloudWatch::Alarm'));
    const age = alarms.find((a) => a.Properties.MetricName === 'ApproximateAgeOfOldestMessage' && JSON.stringify(a.Properties.Dimensions).includes(failedId));
    expect(age?.Properties).toMatchObject({ Threshold: cfg.ingest.maxFailedAgeHours * 3600, ComparisonOperator: 'GreaterThanThreshold' });
    expect(age!.Properties.AlarmName).toBe('landing-to-lake-dev-failed-queue-age');
    expect(age!.Properties.AlarmDescription).toContain('docs/runbook.md#failed-queue-messages-getting-old');
  });
});
