<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * When an event that could not be delivered is tried again: sooner at first, then every hour,
 * for as long as it takes. An event is never dropped; the agent's status shows what waits.
 */
final class RetryPolicy
{
    /** Seconds before the 2nd, 3rd, ... attempt; the last one repeats. */
    public const DELAYS = [30, 60, 120, 300, 600, 1800, 3600];

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
