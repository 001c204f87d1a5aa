<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * Sends the outbox to the Worker, signed: one event at a time per order, in order; a 2xx marks
 * it sent, anything else (or no answer) schedules it again; an event that dies (RetryPolicy) is
 * told to $onDead. Bounded by a count and a deadline,
 * so neither the background job after a page nor the cron agent runs long.
 */
final class Sender
{
    /** @var callable(): int */
    private $clock;

    public function __construct(
        private Outbox $outbox,
        private Signer $signer,
        private HttpClient $http,
        private string $workerUrl,
        ?callable $clock = null,
        private RetryPolicy $retry = new RetryPolicy(),
        private ?\Closure $onDead = null,
    ) {
        $this->clock = $clock ?? static fn (): int => time();
    }

    /** @return array{sent: int, failed: int} */
    public function flush(int $maxEvents = 200, int $maxSeconds = 20): array
    {
        $deadline = ($this->clock)() + $maxSeconds;
        $result = ['sent' => 0, 'failed' => 0];
        for ($done = 0; $done < $maxEvents && ($this->clock)() < $deadline; $done++) {
            $now = ($this->clock)();
            $event = $this->outbox->claimNext($now);
            if ($event === null) {
                break;
            }
            $headers = $this->signer->headers('evt_' . $event['id'], $now, $event['body']);
            try {
                [$status, $answer] = $this->http->post($this->workerUrl, $headers, $event['body']);
            } catch (TransportError $error) {
                $this->failed($event, null, $error->getMessage());
                $result['failed']++;
                continue;
            }
            if ($status >= 200 && $status < 300) {
                $this->outbox->markSent($event['id'], ($this->clock)(), $status);
                $result['sent']++;
            } else {
                $this->failed($event, $status, "HTTP $status: " . $answer);
                $result['failed']++;
            }
        }
        return $result;
    }

    /** @param array{id: int, attempts: int} $event */
    private function failed(array $event, ?int $status, string $error): void
    {
        $delay = $this->retry->delayAfter($event['attempts'] + 1);
        if ($this->outbox->markFailed($event['id'], $event['attempts'], ($this->clock)(), $status, $error, $delay)
            && $this->onDead !== null) {
            ($this->onDead)($event, $error);
        }
    }
}
