<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Config;
use CvetyCrm\Kit;
use CvetyCrm\Storage\Database;
use CvetyCrm\Tests\Fake\Later;
use CvetyCrm\Tests\Fake\RecordingHttp;
use CvetyCrm\Tests\Fake\SqliteShop;
use PDO;
use PHPUnit\Framework\TestCase;

/** A kit on in-memory SQLite with the stand-in shop, a recording Worker and a settable clock. */
abstract class KitCase extends TestCase
{
    public const SECRET = 'whsec_ZGV2LXNpZ25pbmctc2VjcmV0LWN2ZXR5LWNybS0wMTIzNDU2Nzg5';
    public const TOKEN = 'dev-bitrix-token-0123456789';

    protected Kit $kit;
    protected SqliteShop $shop;
    protected RecordingHttp $worker;
    protected Later $later;
    protected int $now = 1_764_400_000;

    protected function setUp(): void
    {
        $db = new Database(new PDO('sqlite::memory:'));
        $db->install();
        $this->shop = new SqliteShop(new PDO('sqlite::memory:'));
        $this->worker = new RecordingHttp();
        $this->later = new Later();
        $config = Config::from([
            'worker_url' => 'http://worker.test/webhooks/bitrix/order',
            'signing_secret' => self::SECRET,
            'gateway_token' => self::TOKEN,
            'database_dsn' => 'sqlite::memory:',
        ], []);
        $this->kit = new Kit($config, $db, $this->shop, $this->later, $this->worker, fn (): int => $this->now);
        $this->shop->onSave(fn (array $record, bool $isNew, bool $isChanged, array $old) =>
            $this->kit->events->handle($record, $isNew, $isChanged, $old));
    }

    /** A storefront order: one basket line, as a buyer places it. */
    protected function storefrontOrder(string $recipient = 'Айгерим'): int
    {
        return $this->shop->create([
            'status_id' => 'N', 'user_id' => 4521, 'price_delivery' => '1500.00', 'currency' => 'KZT',
            'user_description' => 'Позвонить за час',
            'properties' => ['nameRecipient' => $recipient, 'phoneRecipient' => '+77015551234', 'data' => '2025-08-25',
                             'city' => '2', 'when' => '18', 'shopId' => '17008', 'internalNote' => 'не для CRM'],
            'basket' => [['product_id' => 15652, 'name' => 'Букет Стандарт', 'price' => '7500.00', 'quantity' => '1']],
        ]);
    }

    /** @return list<array<string, mixed>> the outbox, oldest first */
    protected function outbox(): array
    {
        return $this->kit->db->pdo()->query('SELECT * FROM cvety_crm_outbox ORDER BY id')->fetchAll();
    }
}
