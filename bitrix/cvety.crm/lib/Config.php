<?php
declare(strict_types=1);

namespace CvetyCrm;

/**
 * The kit's settings: the installed config.php (see config.example.php), then the environment
 * (CVETY_* and the two secrets), which wins. Secrets never have a default.
 */
final class Config
{
    /** @param array<string, mixed> $values */
    private function __construct(private array $values)
    {
    }

    /** @param array<string, mixed> $file the array config.php returns */
    public static function from(array $file, ?array $environment = null): self
    {
        $environment ??= getenv();
        $names = [
            'worker_url' => 'CVETY_WORKER_URL',
            'signing_secret' => 'WEBHOOK_SIGNING_SECRET',
            'gateway_token' => 'BITRIX_API_TOKEN',
            'database_dsn' => 'CVETY_KIT_DSN',
            'database_user' => 'CVETY_KIT_DB_USER',
            'database_password' => 'CVETY_KIT_DB_PASSWORD',
            'retry_delays' => 'CVETY_RETRY_DELAYS',
        ];
        $values = $file;
        foreach ($names as $key => $variable) {
            if (isset($environment[$variable]) && $environment[$variable] !== '') {
                $values[$key] = $environment[$variable];
            }
        }
        return new self($values);
    }

    /** Loads config.php next to the kit (the installed copy of config.example.php). */
    public static function load(string $directory): self
    {
        $path = $directory . '/config.php';
        $file = is_file($path) ? require $path : [];
        return self::from(is_array($file) ? $file : []);
    }

    public function workerUrl(): string
    {
        return $this->required('worker_url');
    }

    public function signingSecret(): string
    {
        return $this->required('signing_secret');
    }

    public function gatewayToken(): string
    {
        return $this->required('gateway_token');
    }

    /** PDO DSN of the kit's own database: its outbox and idempotency keys, never Bitrix's tables. */
    public function databaseDsn(): string
    {
        return $this->required('database_dsn');
    }

    public function databaseUser(): ?string
    {
        return $this->values['database_user'] ?? null;
    }

    public function databasePassword(): ?string
    {
        return $this->values['database_password'] ?? null;
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
     * Bitrix's own ids the gateway needs to build an order: site_id, person_type_id,
     * delivery_id, pay_system_id, user_id (the buyer of CRM orders).
     *
     * @return array<string, mixed>
     */
    public function bitrix(): array
    {
        $bitrix = $this->values['bitrix'] ?? [];
        return is_array($bitrix) ? $bitrix : [];
    }

    private function required(string $key): string
    {
        $value = $this->values[$key] ?? '';
        if (!is_string($value) || $value === '') {
            throw new \RuntimeException("cvety-crm kit: the setting '$key' is missing (config.php or the environment)");
        }
        return $value;
    }
}
