<?php
declare(strict_types=1);

namespace CvetyCrm;

/**
 * The module's settings: what the settings page saved (Bitrix's options of cvety.crm), then the
 * environment (CVETY_WORKER_URL and the two secrets), which wins. Secrets never have a default.
 */
final class Config
{
    /** The settings the page edits, by option name. */
    public const WORKER_URL = 'worker_url';
    public const SIGNING_SECRET = 'signing_secret';
    public const GATEWAY_TOKEN = 'gateway_token';
    public const SITE_ID = 'site_id';
    public const PERSON_TYPE_ID = 'person_type_id';
    public const DELIVERY_ID = 'delivery_id';
    public const PAY_SYSTEM_ID = 'pay_system_id';
    public const BUYER_USER_ID = 'buyer_user_id';
    public const CATALOG_IBLOCK_ID = 'catalog_iblock_id';
    public const STOREFRONT_URL = 'storefront_url';
    /** Numbers the page refuses to save unless they are positive whole numbers. */
    public const IDS = [self::PERSON_TYPE_ID, self::DELIVERY_ID, self::PAY_SYSTEM_ID, self::BUYER_USER_ID, self::CATALOG_IBLOCK_ID];
    public const SECRETS = [self::SIGNING_SECRET, self::GATEWAY_TOKEN];
    public const ALL = [self::WORKER_URL, self::SIGNING_SECRET, self::GATEWAY_TOKEN, self::SITE_ID, self::PERSON_TYPE_ID,
        self::DELIVERY_ID, self::PAY_SYSTEM_ID, self::BUYER_USER_ID, self::CATALOG_IBLOCK_ID, self::STOREFRONT_URL];

    /** @param array<string, mixed> $values */
    private function __construct(private array $values)
    {
    }

    /** @param array<string, mixed> $settings the saved options (or a test's) */
    public static function from(array $settings, ?array $environment = null): self
    {
        $environment ??= getenv();
        $names = [
            self::WORKER_URL => 'CVETY_WORKER_URL',
            self::SIGNING_SECRET => 'WEBHOOK_SIGNING_SECRET',
            self::GATEWAY_TOKEN => 'BITRIX_API_TOKEN',
            'database_dsn' => 'CVETY_KIT_DSN',
            'retry_delays' => 'CVETY_RETRY_DELAYS',
        ];
        $values = $settings;
        foreach ($names as $key => $variable) {
            if (isset($environment[$variable]) && $environment[$variable] !== '') {
                $values[$key] = $environment[$variable];
            }
        }
        return new self($values);
    }

    /** A setting as text ('' when unset). */
    public function value(string $name): string
    {
        $value = $this->values[$name] ?? '';
        return is_scalar($value) ? (string) $value : '';
    }

    public function workerUrl(): string
    {
        return $this->required(self::WORKER_URL);
    }

    public function signingSecret(): string
    {
        return $this->required(self::SIGNING_SECRET);
    }

    public function gatewayToken(): string
    {
        return $this->required(self::GATEWAY_TOKEN);
    }

    /** PDO DSN of a database of the kit's own (the stand-in's; the module uses Bitrix's connection). */
    public function databaseDsn(): string
    {
        return $this->required('database_dsn');
    }

    /** The outbox's retry policy: `retry_delays` (seconds, a list or "30,60,..."), else the default. */
    public function retryPolicy(): \CvetyCrm\Webhook\RetryPolicy
    {
        $delays = $this->values['retry_delays'] ?? null;
        if (is_string($delays)) {
            $delays = array_map('intval', array_filter(explode(',', $delays), 'is_numeric'));
        }
        return is_array($delays) && $delays !== [] ? new \CvetyCrm\Webhook\RetryPolicy(array_values($delays))
            : new \CvetyCrm\Webhook\RetryPolicy();
    }

    /**
     * Bitrix's ids the gateway needs to build an order: site_id, person_type_id, delivery_id,
     * pay_system_id, buyer_user_id (the dedicated buyer of CRM orders), catalog_iblock_id,
     * storefront_url. Unset ones are absent.
     *
     * @return array<string, string>
     */
    public function bitrix(): array
    {
        $ids = [];
        foreach ([self::SITE_ID, self::PERSON_TYPE_ID, self::DELIVERY_ID, self::PAY_SYSTEM_ID, self::BUYER_USER_ID,
                  self::CATALOG_IBLOCK_ID, self::STOREFRONT_URL] as $name) {
            if ($this->value($name) !== '') {
                $ids[$name] = $this->value($name);
            }
        }
        return $ids;
    }

    private function required(string $key): string
    {
        $value = $this->value($key);
        if ($value === '') {
            throw new \RuntimeException("cvety-crm: the setting '$key' is not set (the module's settings page)");
        }
        return $value;
    }
}
