<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * When an event that could not be delivered is tried again: sooner at first, then every hour,
 * for as long as it takes while the Worker is away or overloaded (no answer, 408, 429, 5xx).
 * An event the Worker *refuses* (any other 4xx: the body or its signature is wrong for it)
 * [`DEAD_AFTER_REFUSALS`] times in a row is dead: never sent again on its own, no longer holding
 * its order's later events back, and counted in the agent's status until someone retries or
 * skips it (Outbox::retry, Outbox::skip).
 */
final class RetryPolicy
{
    /** Seconds before the 2nd, 3rd, ... attempt; the last one repeats. */
    public const DELAYS = [30, 60, 120, 300, 600, 1800, 3600];

    /** Refusals in a row that make an event dead. */
    public const DEAD_AFTER_REFUSALS = 5;

    /** True for an answer that refuses the event itself (not a busy or absent Worker). */
    public static function isRefusal(?int $status): bool
    {
        return $status !== null && $status >= 400 && $status < 500 && $status !== 408 && $status !== 429;
    }

    /** @param list<int> $delays */
    public function __construct(private array $delays = self::DELAYS)
    {
        if ($delays === []) {
            throw new \InvalidArgumentException('a retry policy needs at least one delay');
        }
    }

    /** Seconds to wait after an event's `$attempts`-th failed attempt. */
    public function delayAfter(int $attempts): int
    {
        $index = max(0, min($attempts - 1, count($this->delays) - 1));
        return $this->delays[$index];
    }
}
