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

    public static function delayAfter(int $attempts): int
    {
        $index = max(0, min($attempts - 1, count(self::DELAYS) - 1));
        return self::DELAYS[$index];
    }
}
