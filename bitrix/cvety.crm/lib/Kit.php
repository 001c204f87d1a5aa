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
use CvetyCrm\Webhook\Reporter;
use CvetyCrm\Webhook\Sender;
use CvetyCrm\Webhook\Signer;

/** The kit's parts, wired from the settings, a shop (Bitrix, or a stand-in) and a deferrer. */
final class Kit
{
    private static ?self $instance = null;
    /** @var (callable(): self)|null */
    private static $factory = null;

    public readonly Outbox $outbox;
    public readonly OrderSaved $events;
    public readonly IdempotencyStore $keys;
    private ?Sender $sender = null;
    private ?Controller $gateway = null;
    private HttpClient $http;
    /** @var (callable(): int)|null */
    private $clock;

    public function __construct(
        public readonly Config $config,
        public readonly Database $db,
        public readonly Shop $shop,
        Deferrer $deferrer,
        ?HttpClient $http = null,
        ?callable $clock = null,
        private ?\Closure $onDead = null,
    ) {
        $this->http = $http ?? new CurlClient();
        $this->clock = $clock;
        $this->outbox = new Outbox($db);
        // Recording an event needs no setting: a save is written to the outbox even before the
        // secrets are set. The sender and the gateway read theirs when first used.
        $this->events = new OrderSaved($this->outbox, $deferrer, $this->sender(...), $clock);
        $this->keys = new IdempotencyStore($db);
    }

    /** Sends the outbox (signed with the signing secret) to the Worker. */
    public function sender(): Sender
    {
        return $this->sender ??= new Sender($this->outbox, new Signer($this->config->signingSecret()), $this->http,
            $this->config->workerUrl(), $this->clock, $this->config->retryPolicy(), $this->onDead);
    }

    /** Reports the outbox's state to the Worker after an agent's run. */
    public function reporter(): Reporter
    {
        return new Reporter($this->outbox, new Signer($this->config->signingSecret()), $this->http, $this->config->workerUrl());
    }

    /** The gateway (its token checked on every request). */
    public function gateway(): Controller
    {
        return $this->gateway ??= new Controller($this->config->gatewayToken(), $this->keys, $this->shop, $this->events, $this->clock);
    }

    /** The kit of this PHP process (set by the module's include.php, or a test's bootstrap). */
    public static function instance(): self
    {
        if (self::$instance === null && self::$factory !== null) {
            self::$instance = (self::$factory)();
        }
        return self::$instance ?? throw new \LogicException('cvety-crm kit: not booted (the module cvety.crm is not included)');
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
