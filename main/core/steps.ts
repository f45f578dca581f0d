/**
 * Named points in main's durable work (spend, queue, send, settle, compaction). Production
 * passes nothing; the crash-point tests run main's code in a child process and kill it
 * (SIGKILL) while it waits at one of these (docs/architecture.md §12).
 */
export type Step =
  | 'spend:signed'
  | 'spend:committed'
  | 'spend:owned'
  | 'send:before'
  | 'send:answered'
  | 'send:recorded'
  | 'store:compacting';

export type StepHook = (step: Step) => Promise<void> | void;

export const noSteps: StepHook = () => undefined;
