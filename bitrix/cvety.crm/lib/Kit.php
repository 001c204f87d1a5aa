<?php
declare(strict_types=1);

namespace CvetyCrm;

use CvetyCrm\Gateway\Controller;
use CvetyCrm\Gateway\IdempotencyStore;
use CvetyCrm\Shop\Shop;
use CvetyCrm\Storage\Database;
use CvetyCrm\Webhook\CurlClient;
use CvetyCrm\Webhook\Deferrer;
use CvetyCrm\Webhook\HttpClient;
use CvetyCrm\Webhook\OrderSaved;
use CvetyCrm\Webhook\Outbox;
use CvetyCrm\Webhook\Sender;
use CvetyCrm\Webhook\Signer;

/** The kit's parts, wired from the settings, a shop (Bitrix, or a stand-in) and a deferrer. */
final class Kit
{
    private static ?self $instance = null;
    /** @var (callable(): self)|null */
    private static $factory = null;

    public readonly Outbox $outbox;
    public readonly Sender $sender;
    public readonly OrderSaved $events;
    public readonly IdempotencyStore $keys;
    public readonly Controller $gateway;

    public function __construct(
        public readonly Config $config,
        public readonly Database $db,
        public readonly Shop $shop,
        Deferrer $deferrer,
        ?HttpClient $http = null,
        ?callable $clock = null,
    ) {
        $this->outbox = new Outbox($db);
        $this->sender = new Sender($this->outbox, new Signer($config->signingSecret()), $http ?? new CurlClient(),
            $config->workerUrl(), $clock, $config->retryPolicy());
        $this->events = new OrderSaved($this->outbox, $deferrer, $this->sender, $clock);
        $this->keys = new IdempotencyStore($db);
        $this->gateway = new Controller($config->gatewayToken(), $this->keys, $shop, $this->events, $clock);
    }

    public static function connect(Config $config, Shop $shop, Deferrer $deferrer, ?HttpClient $http = null): self
    {
        $db = Database::connect($config->databaseDsn(), $config->databaseUser(), $config->databasePassword());
        return new self($config, $db, $shop, $deferrer, $http);
    }

    /** The kit of this PHP process (set once by the bootstrap: init.php, bin/*, the gateway file). */
    public static function instance(): self
    {
        if (self::$instance === null && self::$factory !== null) {
            self::$instance = (self::$factory)();
        }
        return self::$instance ?? throw new \LogicException('cvety-crm kit: not booted (see bitrix/init.php)');
    }

    public static function boot(self $kit): self
    {
        return self::$instance = $kit;
    }

    /** @param callable(): self $factory builds the kit on first use */
    public static function bootLazily(callable $factory): void
    {
        self::$factory = $factory;
    }
}
