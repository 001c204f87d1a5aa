<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/**
 * The CRM request whose save is running now, as retailCRM's module flags its own imports: the
 * gateway sets it around the Bitrix save it makes, and the webhook that save fires carries its
 * idempotency key (data.crm_change_key), so the Worker knows its own echo by the key alone.
 */
final class ChangeMarker
{
    private static ?string $current = null;

    /**
     * Runs $save with $key marked, and unmarks it afterwards, also when $save throws.
     *
     * @template T
     * @param callable(): T $save
     * @return T
     */
    public static function during(string $key, callable $save): mixed
    {
        $previous = self::$current;
        self::$current = $key;
        try {
            return $save();
        } finally {
            self::$current = $previous;
        }
    }

    public static function current(): ?string
    {
        return self::$current;
    }
}
