/** One publish waiting for its turn: its messages and values, and who is waiting for it. */
interface Waiting<M> {
  messages: M[];
  values: string[];
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for a producer that allows one request in flight (Kafka's idempotent
 * producer): publishes that arrive while a topic's request is in flight are sent together
 * in its next request, in arrival order, up to `maxRequestBytes` of values a request (a
 * single publish larger than that goes alone). One request per publish would cap a topic at
 * one round trip per publish: the MQTT intake publishes each message as it arrives and
 * acknowledges it only once the bus has it.
 *
 * No waiting is added: a publish on an idle topic is sent at once. Each publish resolves
 * when the request that carried it is acknowledged and rejects with its error; a request
 * failing fails exactly the publishes in it.
 */
export function createPublishBatcher<M>(send: (topic: string, messages: M[], values: string[]) => Promise<void>, maxRequestBytes = 512 * 1024) {
  const topics = new Map<string, Waiting<M>[]>();
  /** Messages per topic published and not yet acknowledged or failed. */
  const pending = new Map<string, number>();
  const settle = (topic: string, count: number) => {
    const left = (pending.get(topic) ?? 0) - count;
    if (left > 0) pending.set(topic, left);
    else pending.delete(topic);
  };

  const drain = async (topic: string, queue: Waiting<M>[]) => {
    while (queue.length > 0) {
      let bytes = 0;
      let count = 0;
      while (count < queue.length && (count === 0 || bytes + queue[count]!.bytes <= maxRequestBytes)) bytes += queue[count++]!.bytes;
      const request = queue.splice(0, count);
      try {
        await send(topic, request.flatMap((w) => w.messages), request.flatMap((w) => w.values));
        for (const waiting of request) waiting.resolve();
      } catch (error) {
        for (const waiting of request) waiting.reject(error);
      } finally {
        settle(topic, request.reduce((n, waiting) => n + waiting.messages.length, 0));
      }
    }
    topics.delete(topic);
  };

  return {
    /** Messages published to `topic` and not yet acknowledged or failed, the one in flight included. */
    pending: (topic: string) => pending.get(topic) ?? 0,
    /** Resolves once the messages are acknowledged; `values` are the encoded messages, in order. */
    publish(topic: string, messages: M[], values: string[]): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        const waiting: Waiting<M> = {
          messages,
          values,
          bytes: values.reduce((n, value) => n + value.length, 0),
          resolve,
          reject,
        };
        pending.set(topic, (pending.get(topic) ?? 0) + messages.length);
        const queue = topics.get(topic);
        if (queue) return void queue.push(waiting);
        const fresh = [waiting];
        topics.set(topic, fresh);
        void drain(topic, fresh);
      });
    },
  };
}
