<?php
declare(strict_types=1);

namespace CvetyCrm\Admin;

use CvetyCrm\Bitrix\BitrixShop;
use CvetyCrm\Config;
use CvetyCrm\Gateway\Requests;
use CvetyCrm\Module\Installer;
use CvetyCrm\Module\Site;
use CvetyCrm\Shop\MailFields;
use CvetyCrm\Webhook\HttpClient;
use CvetyCrm\Webhook\Outbox;
use CvetyCrm\Webhook\Reporter;
use CvetyCrm\Webhook\Signer;
use CvetyCrm\Webhook\TransportError;

/**
 * The settings page's work (options.php): saving what the administrator typed, refused in
 * Russian beside each field when wrong, and the checks shown beside each setting: the Worker
 * answers /health in the signing mode, accepts a signed report (the same secret), the statuses
 * the CRM uses exist, the order properties exist, IN_STOCK's 158/159 are the catalogue's, the
 * buyer account is a plain active account.
 */
final class Settings
{
    public const LABELS = [
        Config::WORKER_URL => 'Адрес вебхуков в CRM',
        Config::SIGNING_SECRET => 'Секрет подписи (WEBHOOK_SIGNING_SECRET)',
        Config::GATEWAY_TOKEN => 'Токен шлюза (BITRIX_API_TOKEN)',
        Config::SITE_ID => 'Сайт (LID)',
        Config::PERSON_TYPE_ID => 'Тип плательщика',
        Config::DELIVERY_ID => 'Служба доставки',
        Config::PAY_SYSTEM_ID => 'Платёжная система',
        Config::BUYER_USER_ID => 'Покупатель заказов из CRM (ID пользователя)',
        Config::CATALOG_IBLOCK_ID => 'Инфоблок каталога',
        Config::STOREFRONT_URL => 'Адрес витрины',
    ];
    /** Checks that belong to no single field. */
    public const STATUSES = 'statuses';
    public const PROPERTIES = 'properties';

    public function __construct(private Site $site, private HttpClient $http, private Outbox $outbox)
    {
    }

    /**
     * Saves the posted settings; an empty secret field keeps the saved secret (secrets are
     * never shown back). Returns the problems by field; nothing is saved when there is one.
     *
     * @param array<string, mixed> $post
     * @return array<string, string>
     */
    public function save(array $post): array
    {
        $values = [];
        $problems = [];
        foreach (Config::ALL as $name) {
            $value = trim(is_scalar($post[$name] ?? null) ? (string) $post[$name] : '');
            if (in_array($name, Config::SECRETS, true) && $value === '') {
                continue;
            }
            $values[$name] = $value;
        }
        $url = $values[Config::WORKER_URL] ?? '';
        if ($url !== '' && !preg_match('~^https?://[^\s/]+(/\S*)?/webhooks/bitrix/order$~', $url)) {
            $problems[Config::WORKER_URL] = 'Адрес должен вести на /webhooks/bitrix/order, например https://crm.cvety.kz/webhooks/bitrix/order';
        }
        if (isset($values[Config::SIGNING_SECRET])) {
            try {
                new Signer($values[Config::SIGNING_SECRET]);
            } catch (\InvalidArgumentException) {
                $problems[Config::SIGNING_SECRET] = 'Секрет начинается с whsec_ и содержит base64 не короче 16 байт: скопируйте WEBHOOK_SIGNING_SECRET из Worker';
            }
        }
        if (isset($values[Config::GATEWAY_TOKEN]) && strlen($values[Config::GATEWAY_TOKEN]) < 24) {
            $problems[Config::GATEWAY_TOKEN] = 'Токен короче 24 символов: скопируйте BITRIX_API_TOKEN из Worker';
        }
        foreach (Config::IDS as $name) {
            $value = $values[$name] ?? '';
            if ($value !== '' && !preg_match('/^[1-9][0-9]{0,9}$/', $value)) {
                $problems[$name] = 'Нужен номер (целое число больше нуля)';
            }
        }
        $site = $values[Config::SITE_ID] ?? '';
        if ($site !== '' && !preg_match('/^[a-z0-9]{2}$/i', $site)) {
            $problems[Config::SITE_ID] = 'Код сайта — две латинские буквы или цифры, например s1';
        }
        if ($problems !== []) {
            return $problems;
        }
        foreach ($values as $name => $value) {
            $this->site->setOption(Installer::MODULE, $name, $value);
        }
        return [];
    }

    /**
     * Each check, by the field it belongs to: ok and what it found, in Russian.
     *
     * @return array<string, array{ok: bool, text: string}>
     */
    public function checks(Config $config): array
    {
        $checks = [];
        foreach (Config::ALL as $name) {
            if ($config->value($name) === '' && $name !== Config::STOREFRONT_URL) {
                $checks[$name] = ['ok' => false, 'text' => 'Не заполнено'];
            }
        }
        if (!isset($checks[Config::WORKER_URL])) {
            $checks[Config::WORKER_URL] = $this->health($config->value(Config::WORKER_URL));
        }
        if (!isset($checks[Config::SIGNING_SECRET]) && ($checks[Config::WORKER_URL]['ok'] ?? false)) {
            $checks[Config::SIGNING_SECRET] = $this->signature($config);
        }
        if (!isset($checks[Config::GATEWAY_TOKEN])) {
            $checks[Config::GATEWAY_TOKEN] = strlen($config->value(Config::GATEWAY_TOKEN)) >= 24
                ? ['ok' => true, 'text' => 'Задан; Worker проверит его при первом запросе к шлюзу']
                : ['ok' => false, 'text' => 'Короче 24 символов'];
        }
        foreach ([Config::SITE_ID => 'site', Config::PERSON_TYPE_ID => 'person_type', Config::DELIVERY_ID => 'delivery',
                  Config::PAY_SYSTEM_ID => 'pay_system'] as $name => $kind) {
            if (!isset($checks[$name])) {
                $found = $this->site->entityName($kind, $config->value($name));
                $checks[$name] = $found === null
                    ? ['ok' => false, 'text' => 'В магазине нет такого: ' . $config->value($name)]
                    : ['ok' => true, 'text' => $found];
            }
        }
        $statuses = $this->site->statuses();
        $missing = array_values(array_diff(Requests::STATUSES, array_map('strval', array_keys($statuses))));
        $checks[self::STATUSES] = $missing === []
            ? ['ok' => true, 'text' => 'Все статусы CRM есть в магазине: ' . implode(', ', Requests::STATUSES)]
            : ['ok' => false, 'text' => 'В магазине нет статусов ' . implode(', ', $missing) . ' (Магазин → Настройки → Статусы)'];
        $personType = (int) $config->value(Config::PERSON_TYPE_ID);
        if ($personType > 0) {
            $absent = array_values(array_filter(['crmOrderId', MailFields::TRACK_PROPERTY],
                fn (string $code): bool => !$this->site->orderPropertyExists($code, $personType)));
            $checks[self::PROPERTIES] = $absent === []
                ? ['ok' => true, 'text' => 'Свойства заказа crmOrderId и crmTrackUrl есть']
                : ['ok' => false, 'text' => 'Нет свойств заказа ' . implode(', ', $absent) . " у типа плательщика $personType: "
                    . 'создайте их (Магазин → Настройки → Свойства заказа, тип «Строка»)'];
        }
        $iblock = (int) $config->value(Config::CATALOG_IBLOCK_ID);
        if ($iblock > 0) {
            $wrong = [];
            foreach ([BitrixShop::IN_STOCK, BitrixShop::OUT_OF_STOCK] as $value) {
                $property = $this->site->listValueProperty($value);
                if ($property === null || $property['iblock'] !== $iblock || $property['code'] !== BitrixShop::IN_STOCK_CODE) {
                    $wrong[] = $value;
                }
            }
            $checks[Config::CATALOG_IBLOCK_ID] = $wrong === []
                ? ['ok' => true, 'text' => "Значения 158 и 159 — это IN_STOCK инфоблока $iblock"]
                : ['ok' => false, 'text' => 'Значения ' . implode(', ', $wrong) . " не принадлежат свойству IN_STOCK инфоблока $iblock: наличие из CRM не запишется"];
        }
        $buyer = (int) $config->value(Config::BUYER_USER_ID);
        if ($buyer > 0) {
            $user = $this->site->user($buyer);
            $checks[Config::BUYER_USER_ID] = match (true) {
                $user === null => ['ok' => false, 'text' => "Пользователя $buyer нет"],
                $user['admin'] => ['ok' => false, 'text' => "Пользователь $buyer — администратор: заведите отдельного покупателя для заказов из CRM"],
                !$user['active'] => ['ok' => false, 'text' => "Пользователь $buyer отключён"],
                default => ['ok' => true, 'text' => 'Отдельный покупатель, активен'],
            };
        }
        return $checks;
    }

    /** @return array{ok: bool, text: string} */
    private function health(string $webhookUrl): array
    {
        $health = (string) preg_replace('~/webhooks/bitrix/order$~', '/health', $webhookUrl);
        try {
            [$status, $body] = $this->http->get($health);
        } catch (TransportError $error) {
            return ['ok' => false, 'text' => "Worker не отвечает ($health): " . $error->getMessage()];
        }
        $answer = json_decode($body, true);
        $mode = is_array($answer) ? ($answer['webhook_auth'] ?? null) : null;
        return match (true) {
            $status !== 200 || !is_array($answer) => ['ok' => false, 'text' => "Worker ответил $status на $health"],
            $mode === 'signature' => ['ok' => true, 'text' => 'Worker отвечает и ждёт подписанные вебхуки'],
            $mode === 'token' => ['ok' => false, 'text' => 'Worker ждёт токен, а модуль подписывает вебхуки: задайте в Worker WEBHOOK_SIGNING_SECRET'],
            default => ['ok' => false, 'text' => 'У Worker неверный секрет подписи (webhook_auth: ' . (is_string($mode) ? $mode : '?') . ')'],
        };
    }

    /** A signed report of the outbox: accepted only when both sides hold the same secret. */
    private function signature(Config $config): array
    {
        try {
            $reporter = new Reporter($this->outbox, new Signer($config->signingSecret()), $this->http, $config->workerUrl());
            $status = $reporter->report(time());
        } catch (\Throwable $error) {
            return ['ok' => false, 'text' => 'Проверка не удалась: ' . $error->getMessage()];
        }
        return match (true) {
            $status === null => ['ok' => false, 'text' => 'Worker не ответил на подписанный отчёт'],
            $status >= 200 && $status < 300 => ['ok' => true, 'text' => 'Worker принял подписанный отчёт: секрет совпадает'],
            $status === 401 => ['ok' => false, 'text' => 'Worker не принял подпись: секрет в Worker другой'],
            default => ['ok' => false, 'text' => "Worker ответил $status на подписанный отчёт"],
        };
    }
}
