<?php
declare(strict_types=1);

namespace CvetyCrm\Bitrix;

use Bitrix\Main\Application;
use Bitrix\Main\Config\Option;
use Bitrix\Main\Event;
use Bitrix\Main\EventManager;
use Bitrix\Main\Loader;
use Bitrix\Main\ModuleManager;
use Bitrix\Main\Type\DateTime as BitrixDateTime;
use Bitrix\Main\UserTable;
use Bitrix\Sale;
use CvetyCrm\Config;
use CvetyCrm\Kit;
use CvetyCrm\Module\Installer;
use CvetyCrm\Module\Site;
use CvetyCrm\Storage\Connection;
use CvetyCrm\Storage\Database;
use CvetyCrm\Shop\Shop;
use CvetyCrm\Shop\ShopError;
use CvetyCrm\Webhook\Deferrer;

/**
 * The only class that calls Bitrix's API (D7 `sale`, `catalog`, `iblock`, `main`, and the old
 * API where D7 has none). Everything it changes goes through Bitrix's own objects and their
 * save(), never a query on Bitrix's tables, so Bitrix's events, caches and logs see every change;
 * the kit's own tables sit on Bitrix's connection (Storage\Connection), so an order's event is
 * written inside its save. The tests run it on a double of this slice of Bitrix's API
 * (bitrix/tests/Double, each behaviour naming the core file it mirrors).
 */
final class BitrixShop implements Shop, Deferrer, Connection, Site
{
    private const TIME_ZONE = 'Asia/Almaty';
    public const IN_STOCK_CODE = 'IN_STOCK';
    public const IN_STOCK = 158;
    public const OUT_OF_STOCK = 159;
    /** The admin notice of a failure (one at a time; the event log keeps each). */
    public const ALARM_TAG = 'cvety_crm_failure';

    /** @param array<string, string> $ids Config::bitrix() */
    public function __construct(private array $ids = [])
    {
        Loader::includeModule('sale');
        Loader::includeModule('catalog');
        Loader::includeModule('iblock');
    }

    /** The kit of this site: the module's saved settings (the environment wins), Bitrix's connection. */
    public static function kit(): Kit
    {
        return self::assemble(Config::from(Option::getForModule(Installer::MODULE)));
    }

    /**
     * The kit on Bitrix: its tables on Bitrix's connection, this class as its shop and deferrer,
     * and an event that dies told to the administrators.
     */
    public static function assemble(Config $config, ?\CvetyCrm\Webhook\HttpClient $http = null): Kit
    {
        $shop = new self($config->bitrix());
        return new Kit($config, new Database($shop), $shop, $shop, $http, null,
            static function (array $event, string $error) use ($shop): void {
                $shop->alarm(Installer::MODULE, self::ALARM_TAG, sprintf(
                    'CRM отказала в событии %s заказа %d %d раз подряд: оно остановлено (%s). Магазин → Очередь CRM: «Повторить» или «Пропустить».',
                    $event['event'] ?? '?', $event['order_id'] ?? 0, \CvetyCrm\Webhook\RetryPolicy::DEAD_AFTER_REFUSALS, mb_substr($error, 0, 200)));
            });
    }

    /** The agent (CAgent, every minute; or Bitrix's cron_events.php): send, prune, report. */
    public static function agent(): string
    {
        try {
            $kit = Kit::instance();
            $kit->sender()->flush(2000, 50);
            $kit->outbox->prune(time());
            $kit->keys->prune(time());
            $kit->reporter()->report(time());
        } catch (\Throwable $failure) {
            (new self())->alarm(Installer::MODULE, self::ALARM_TAG, 'Агент модуля cvety.crm не отправил очередь: ' . $failure->getMessage());
        }
        return Installer::AGENT;
    }

    /**
     * sale:OnOrderStatusSendEmail: adds #CRM_TRACK_URL# (the buyer's tracking link, from the order
     * property crmTrackUrl) to the e-mail's fields. Never stops the e-mail.
     *
     * @param array<string, mixed> $fields
     */
    public static function onStatusEmail(mixed $orderId, mixed &$eventName, array &$fields, mixed $statusId = null): bool
    {
        $url = null;
        try {
            $order = Sale\Order::load((int) $orderId);
            foreach ($order?->getPropertyCollection() ?? [] as $property) {
                if ($property->getField('CODE') === \CvetyCrm\Shop\MailFields::TRACK_PROPERTY) {
                    $url = (string) $property->getValue();
                }
            }
        } catch (\Throwable $failure) {
            (new self())->alarm(Installer::MODULE, self::ALARM_TAG, "Ссылка для отслеживания не добавлена в письмо о заказе $orderId: " . $failure->getMessage());
        }
        $fields = \CvetyCrm\Shop\MailFields::withTrackUrl($fields, $url);
        return true;
    }

    /**
     * sale:OnSaleOrderSaved (sale/lib/orderbase.php callEventOnSaleOrderSaved: ENTITY, IS_NEW,
     * IS_CHANGED, VALUES). The event goes to the outbox on Bitrix's connection, inside the save's
     * transaction when there is one. It never breaks the save; a failure is loud: the event log
     * and a notice atop the admin panel name the order, so it can be sent again from the outbox page.
     */
    public static function onOrderSaved(Event $event): void
    {
        $order = $event->getParameter('ENTITY');
        if (!$order instanceof Sale\Order) {
            return;
        }
        try {
            Kit::instance()->events->handle(
                self::record($order),
                (bool) $event->getParameter('IS_NEW'),
                (bool) $event->getParameter('IS_CHANGED'),
                (array) $event->getParameter('VALUES'),
            );
        } catch (\Throwable $failure) {
            (new self())->alarm(Installer::MODULE, self::ALARM_TAG, sprintf(
                'Заказ %d сохранён, но его событие не записано в очередь для CRM: %s. Отправьте его снова со страницы очереди (диапазон номеров).',
                (int) $order->getId(), $failure->getMessage()));
        }
    }

    /** main:OnBuildGlobalMenu: the outbox page under Магазин. */
    public static function onAdminMenu(array &$globalMenu, array &$moduleMenu): void
    {
        $moduleMenu[] = [
            'parent_menu' => 'global_menu_store',
            'section' => Installer::MODULE,
            'sort' => 900,
            'text' => 'Очередь CRM',
            'title' => 'События заказов для CRM: ожидают, с ошибкой, остановлены',
            'url' => 'cvety_crm_outbox.php?lang=' . (defined('LANGUAGE_ID') ? LANGUAGE_ID : 'ru'),
            'icon' => 'sale_menu_icon_orders',
        ];
    }

    /**
     * The gateway's entry (bitrix/tools/cvety.crm/gateway.php): reads the method, headers and
     * body from Bitrix's request, answers through Bitrix's response, then Application::end()
     * sends it and runs the background jobs (the outbox flush) after (main/lib/application.php).
     */
    public static function serveGateway(): void
    {
        $application = Application::getInstance();
        $response = self::answerGateway(Kit::instance(), $application->getContext()->getRequest(), $application->getContext()->getResponse());
        $application->end(0, $response);
    }

    /** The gateway's answer to Bitrix's request, written on Bitrix's response. */
    public static function answerGateway(Kit $kit, \Bitrix\Main\HttpRequest $request, \Bitrix\Main\HttpResponse $response): \Bitrix\Main\HttpResponse
    {
        $headers = [];
        foreach (['x-api-token', 'idempotency-key', 'content-type'] as $name) {
            $value = $request->getHeader($name);
            if ($value !== null) {
                $headers[$name] = (string) $value;
            }
        }
        $answer = $kit->gateway()->handle($request->getRequestMethod(), $headers, (string) $request->getInput());
        $json = $answer->json();
        $response->setStatus($answer->status);
        $response->addHeader('Content-Type', 'application/json; charset=utf-8');
        foreach ($answer->headers as $name => $value) {
            $response->addHeader($name, $value);
        }
        $response->setContent($json);
        return $response;
    }

    public function defer(callable $job): void
    {
        Application::getInstance()->addBackgroundJob($job);
    }

    // ----------------------------------------------------------------- Storage\Connection

    public function driver(): string
    {
        return Application::getConnection()->getType() === 'mysql' ? 'mysql' : 'sqlite';
    }

    public function execute(string $sql): int
    {
        $connection = Application::getConnection();
        $connection->queryExecute($sql);
        return (int) $connection->getAffectedRowsCount();
    }

    public function select(string $sql): array
    {
        $rows = [];
        $result = Application::getConnection()->query($sql);
        while ($row = $result->fetch()) {
            $rows[] = $row;
        }
        return $rows;
    }

    public function insertedId(): int
    {
        return (int) Application::getConnection()->getInsertedId();
    }

    public function quote(string $value): string
    {
        return "'" . Application::getConnection()->getSqlHelper()->forSql($value) . "'";
    }

    public function begin(): void
    {
        Application::getConnection()->startTransaction();
    }

    public function commit(): void
    {
        Application::getConnection()->commitTransaction();
    }

    public function rollback(): void
    {
        Application::getConnection()->rollbackTransaction();
    }

    // ----------------------------------------------------------------- Module\Site

    public function isUtf8(): bool
    {
        return (bool) Application::getInstance()->isUtfMode();
    }

    public function hasModule(string $module): bool
    {
        return ModuleManager::isModuleInstalled($module);
    }

    public function databaseType(): string
    {
        return (string) Application::getConnection()->getType();
    }

    public function registerModule(string $module): void
    {
        ModuleManager::registerModule($module);
    }

    public function unregisterModule(string $module): void
    {
        ModuleManager::unRegisterModule($module);
    }

    public function registerHandler(string $fromModule, string $event, string $module, string $class, string $method, bool $compatible): void
    {
        $compatible
            ? EventManager::getInstance()->registerEventHandlerCompatible($fromModule, $event, $module, $class, $method)
            : EventManager::getInstance()->registerEventHandler($fromModule, $event, $module, $class, $method);
    }

    public function unregisterHandler(string $fromModule, string $event, string $module, string $class, string $method, bool $compatible): void
    {
        EventManager::getInstance()->unRegisterEventHandler($fromModule, $event, $module, $class, $method);
    }

    public function addAgent(string $call, string $module, int $intervalSeconds): void
    {
        \CAgent::AddAgent($call, $module, 'N', $intervalSeconds);
    }

    public function removeAgents(string $module): void
    {
        \CAgent::RemoveModuleAgents($module);
    }

    public function copyFiles(string $from, string $to): void
    {
        \CopyDirFiles(dirname(__DIR__, 2) . '/' . $from, self::root() . '/' . $to, true, true);
    }

    public function deleteFiles(string $from, string $to): void
    {
        \DeleteDirFiles(dirname(__DIR__, 2) . '/' . $from, self::root() . '/' . $to);
    }

    public function options(string $module): array
    {
        return Option::getForModule($module);
    }

    public function setOption(string $module, string $name, string $value): void
    {
        Option::set($module, $name, $value);
    }

    public function deleteOptions(string $module): void
    {
        Option::delete($module);
    }

    public function alarm(string $module, string $tag, string $message): void
    {
        // main/classes/general/event_log.php and admin_notify.php; AddMessage2Log writes nothing
        // unless LOG_FILENAME is defined, so it is never the only trace.
        \CEventLog::Add(['SEVERITY' => 'ERROR', 'AUDIT_TYPE_ID' => 'CVETY_CRM_FAILURE', 'MODULE_ID' => $module,
            'ITEM_ID' => $tag, 'DESCRIPTION' => $message]);
        \CAdminNotify::Add(['MESSAGE' => 'CRM cvety: ' . $message, 'TAG' => $tag, 'MODULE_ID' => $module, 'ENABLE_CLOSE' => 'Y']);
    }

    public function calm(string $tag): void
    {
        \CAdminNotify::DeleteByTag($tag);
    }

    public function statuses(): array
    {
        return array_map('strval', Sale\OrderStatus::getAllStatusesNames(defined('LANGUAGE_ID') ? LANGUAGE_ID : 'ru'));
    }

    public function orderPropertyExists(string $code, int $personTypeId): bool
    {
        return Sale\Internals\OrderPropsTable::getList([
            'select' => ['ID'], 'filter' => ['=CODE' => $code, '=PERSON_TYPE_ID' => $personTypeId],
        ])->fetch() !== false;
    }

    public function listValueProperty(int $enumId): ?array
    {
        // iblock/classes/general/iblockpropertyenum.php, iblockproperty.php
        $enum = \CIBlockPropertyEnum::GetByID($enumId);
        if (!is_array($enum)) {
            return null;
        }
        $property = \CIBlockProperty::GetByID((int) $enum['PROPERTY_ID'])->Fetch();
        return is_array($property) ? ['iblock' => (int) $property['IBLOCK_ID'], 'code' => (string) $property['CODE']] : null;
    }

    public function entityName(string $kind, string $id): ?string
    {
        // main/lib/site.php, sale/lib/internals/persontype.php, sale/lib/delivery/services/manager.php,
        // sale/lib/paysystem/manager.php
        $row = match ($kind) {
            'site' => \Bitrix\Main\SiteTable::getList(['select' => ['NAME'], 'filter' => ['=LID' => $id]])->fetch(),
            'person_type' => Sale\Internals\PersonTypeTable::getList(['select' => ['NAME'], 'filter' => ['=ID' => (int) $id]])->fetch(),
            'delivery' => ($service = Sale\Delivery\Services\Manager::getObjectById((int) $id)) === null ? false : ['NAME' => $service->getName()],
            'pay_system' => ($service = Sale\PaySystem\Manager::getObjectById((int) $id)) === null ? false : ['NAME' => $service->getField('NAME')],
            default => false,
        };
        return is_array($row) ? (string) $row['NAME'] : null;
    }

    public function user(int $id): ?array
    {
        $user = UserTable::getList(['select' => ['ID', 'ACTIVE'], 'filter' => ['=ID' => $id]])->fetch();
        if (!$user) {
            return null;
        }
        // main/classes/general/user.php: group 1 is the administrators'.
        return ['active' => ($user['ACTIVE'] ?? 'Y') === 'Y', 'admin' => in_array(1, array_map('intval', \CUser::GetUserGroup($id)), true)];
    }

    private static function root(): string
    {
        return rtrim((string) Application::getDocumentRoot(), '/');
    }

    // ----------------------------------------------------------------- Shop

    public function findOrderByCrmId(string $crmOrderId): ?int
    {
        $row = Sale\Internals\OrderPropsValueTable::getList([
            'select' => ['ORDER_ID'],
            'filter' => ['=CODE' => 'crmOrderId', '=VALUE' => $crmOrderId],
            'limit' => 1,
        ])->fetch();
        return $row ? (int) $row['ORDER_ID'] : null;
    }

    /**
     * Against sale's source (sale/lib/orderbase.php): create() takes the currency (setField
     * ('CURRENCY') to another one throws), and save() reports the failures of the basket, the
     * properties and verify() as *warnings* on a successful Result, in no transaction. So: the
     * checks that need no write come first (currency, products, buyer); every step's Result is
     * checked; the order's total is compared with the CRM's; save() runs in Bitrix's transaction
     * and any error or warning rolls all of it back (the outbox's event with it); sale's e-mails
     * are off for the save (sale/lib/notify.php setNotifyDisable).
     */
    public function createOrder(array $request): int
    {
        $siteId = $this->ids[Config::SITE_ID] ?? 's1';
        $buyer = (int) ($this->ids[Config::BUYER_USER_ID] ?? 0);
        if ($buyer <= 0) {
            throw ShopError::notConfigured('не выбран покупатель для заказов из CRM (настройки модуля cvety.crm)');
        }
        // sale/lib/internals/sitecurrency.php: the currency the site's orders are in.
        $currency = (string) Sale\Internals\SiteCurrencyTable::getSiteCurrency($siteId);
        if ($request['currency'] !== $currency) {
            throw ShopError::currencyMismatch($request['currency'], $currency);
        }
        foreach ($request['basket'] as $line) {
            if (\CIBlockElement::GetIBlockByID($line['product_id']) === false) {
                throw ShopError::productNotFound($line['product_id']);
            }
        }
        $connection = Application::getConnection();
        Sale\Notify::setNotifyDisable(true);
        $connection->startTransaction();
        try {
            $id = $this->buildAndSave($request, $siteId, $buyer, $currency);
            $connection->commitTransaction();
            return $id;
        } catch (\Throwable $failure) {
            $connection->rollbackTransaction();
            throw $failure;
        } finally {
            Sale\Notify::setNotifyDisable(false);
        }
    }

    private function buildAndSave(array $request, string $siteId, int $buyer, string $currency): int
    {
        $order = Sale\Order::create($siteId, $buyer, $currency);
        $this->check($order->setPersonTypeId((int) ($this->ids[Config::PERSON_TYPE_ID] ?? 1)));
        if ($request['user_description'] !== null) {
            $this->check($order->setField('USER_DESCRIPTION', $request['user_description']));
        }
        $basket = Sale\Basket::create($siteId);
        foreach ($request['basket'] as $line) {
            $this->addLine($basket, $line, $currency, $siteId);
        }
        $this->check($order->setBasket($basket));

        $delivery = Sale\Delivery\Services\Manager::getObjectById((int) ($this->ids[Config::DELIVERY_ID] ?? 0))
            ?? throw ShopError::notConfigured('служба доставки из настроек модуля не найдена');
        $shipment = $order->getShipmentCollection()->createItem($delivery);
        $this->check($shipment->setFields([
            'CUSTOM_PRICE_DELIVERY' => 'Y',
            'BASE_PRICE_DELIVERY' => (float) $request['price_delivery'],
            'PRICE_DELIVERY' => (float) $request['price_delivery'],
            'CURRENCY' => $currency,
        ]));
        $items = $shipment->getShipmentItemCollection();
        foreach ($basket as $basketItem) {
            $this->check($items->createItem($basketItem)->setQuantity($basketItem->getQuantity()), $basketItem->getProductId());
        }

        $found = [];
        foreach ($order->getPropertyCollection() as $property) {
            $code = (string) $property->getField('CODE');
            if (array_key_exists($code, $request['properties']) && $request['properties'][$code] !== null) {
                $this->check($property->setValue($request['properties'][$code]));
                $found[$code] = true;
            }
        }
        if (!isset($found['crmOrderId'])) {
            throw ShopError::notConfigured('у типа плательщика нет свойства заказа crmOrderId: создайте его (настройки модуля покажут)');
        }
        $this->check($order->setField('STATUS_ID', $request['status_id']));

        // The total Bitrix computed (basket at the CRM's prices + delivery) is the CRM's, or nothing is saved.
        if (abs($order->getPrice() - (float) $request['price']) > 0.005) {
            throw ShopError::totalMismatch($request['price'], $order->getPrice());
        }
        $paySystem = Sale\PaySystem\Manager::getObjectById((int) ($this->ids[Config::PAY_SYSTEM_ID] ?? 0))
            ?? throw ShopError::notConfigured('платёжная система из настроек модуля не найдена');
        $payment = $order->getPaymentCollection()->createItem($paySystem);
        $this->check($payment->setField('SUM', $order->getPrice()));

        $this->check($order->save());
        return (int) $order->getId();
    }

    /**
     * Mirrors sale's own edit path (modules/sale/lib/order.php Order::load/save;
     * entitypropertyvalue.php, whose setValue() is setField('VALUE') and returns a Result;
     * basketitem.php, shipment.php): every change is made on the loaded order's objects, then
     * one save(), so OnSaleOrderSaved fires once with the kit's change marker and nothing is
     * written when a step fails.
     */
    public function updateOrder(int $orderId, array $fields, ?array $basket, array $seen): array
    {
        $order = Sale\Order::load($orderId) ?? throw ShopError::orderNotFound($orderId);
        $before = ['properties' => []];
        $properties = [];
        foreach ($order->getPropertyCollection() as $property) {
            $properties[(string) $property->getField('CODE')] = $property;
        }
        foreach ($fields['properties'] as $code => $value) {
            $property = $properties[$code] ?? throw ShopError::refused("у заказа нет свойства $code");
            $current = $property->getValue();
            $before['properties'][$code] = $current === null || $current === '' ? null : (string) $current;
            $this->check($property->setValue($value ?? ''));
        }
        if (array_key_exists('user_description', $fields)) {
            $before['user_description'] = (string) $order->getField('USER_DESCRIPTION') ?: null;
            $this->check($order->setField('USER_DESCRIPTION', $fields['user_description'] ?? ''));
        }
        $shipment = null;
        foreach ($order->getShipmentCollection() as $candidate) {
            if (!$candidate->isSystem()) {
                $shipment = $candidate;
                break;
            }
        }
        if (array_key_exists('price_delivery', $fields)) {
            $before['price_delivery'] = $shipment === null ? null : (string) $shipment->getField('PRICE_DELIVERY');
            if ($shipment === null) {
                throw ShopError::refused('у заказа нет отгрузки для стоимости доставки');
            }
            $this->check($shipment->setFields([
                'CUSTOM_PRICE_DELIVERY' => 'Y',
                'BASE_PRICE_DELIVERY' => (float) $fields['price_delivery'],
                'PRICE_DELIVERY' => (float) $fields['price_delivery'],
            ]));
        }
        if ($basket !== null) {
            $this->replaceBasket($order, $basket, $shipment);
        }
        $overwritten = \CvetyCrm\Shop\Overwritten::fields($before, $fields, $seen);
        if (!$order->isChanged()) {
            return ['changed' => false, 'overwritten' => $overwritten];
        }
        $this->saveWhole($order);
        return ['changed' => true, 'overwritten' => $overwritten];
    }

    /**
     * save() in Bitrix's transaction: an error or a warning (sale saves anyway and warns) rolls
     * the whole save back, the outbox's event with it.
     */
    private function saveWhole(Sale\Order $order): void
    {
        $connection = Application::getConnection();
        $connection->startTransaction();
        try {
            $this->check($order->save());
            $connection->commitTransaction();
        } catch (\Throwable $failure) {
            $connection->rollbackTransaction();
            throw $failure;
        }
    }

    /**
     * A catalogue line at the CRM's price (CUSTOM_PRICE: Bitrix keeps it as given).
     *
     * @param array<string, mixed> $line product_id, name, price, quantity
     * @param array<string, mixed> $extra more basket fields (XML_ID)
     */
    private function addLine(Sale\BasketBase $basket, array $line, string $currency, string $siteId, array $extra = []): Sale\BasketItemBase
    {
        $item = $basket->createItem('catalog', $line['product_id']);
        $this->check($item->setFields([
            'NAME' => $line['name'],
            'QUANTITY' => (float) $line['quantity'],
            'CURRENCY' => $currency,
            'LID' => $siteId,
            'PRICE' => (float) $line['price'],
            'BASE_PRICE' => (float) $line['price'],
            'CUSTOM_PRICE' => 'Y',
            'PRODUCT_PROVIDER_CLASS' => '\\Bitrix\\Catalog\\Product\\CatalogProvider',
        ] + $extra), $line['product_id']);
        return $item;
    }

    /**
     * The order's basket made exactly $lines: found by ID, or by XML_ID (the CRM line's id) for a
     * line added by an earlier edit; missing ones deleted; new ones created at the CRM's price.
     *
     * @param list<array<string, mixed>> $lines
     */
    private function replaceBasket(Sale\Order $order, array $lines, ?Sale\Shipment $shipment): void
    {
        $basket = $order->getBasket();
        $siteId = (string) $order->getSiteId();
        $currency = (string) $order->getCurrency();
        $kept = [];
        foreach ($lines as $line) {
            $item = null;
            foreach ($basket as $candidate) {
                if (($line['basket_id'] !== null && (int) $candidate->getId() === $line['basket_id'])
                    || ($line['basket_id'] === null && (string) $candidate->getField('XML_ID') === $line['crm_item_id'])) {
                    $item = $candidate;
                    break;
                }
            }
            if ($item === null) {
                $item = $this->addLine($basket, $line, $currency, $siteId, ['XML_ID' => $line['crm_item_id']]);
                if ($shipment !== null) {
                    $this->check($shipment->getShipmentItemCollection()->createItem($item)->setQuantity($item->getQuantity()));
                }
            } elseif ((float) $item->getQuantity() !== (float) $line['quantity']) {
                $this->check($item->setField('QUANTITY', (float) $line['quantity']), $line['product_id']);
            }
            $kept[] = $item->getInternalIndex();
        }
        foreach ($basket as $candidate) {
            if (!in_array($candidate->getInternalIndex(), $kept, true)) {
                $this->check($candidate->delete());
            }
        }
    }

    public function setStatus(int $orderId, string $statusId): bool
    {
        $order = Sale\Order::load($orderId) ?? throw ShopError::orderNotFound($orderId);
        if ($order->getField('STATUS_ID') === $statusId) {
            return false;
        }
        $this->check($order->setField('STATUS_ID', $statusId));
        $this->saveWhole($order);
        return true;
    }

    /**
     * IN_STOCK of the product's own iblock: the list value must belong to that iblock's IN_STOCK
     * (an offer in the SKU iblock has none, and SetPropertyValuesEx would ignore it in silence:
     * iblock/classes/general/iblockelement.php), and the value is read back after the write.
     */
    public function setAvailability(int $productId, bool $inStock): void
    {
        $iblockId = (int) \CIBlockElement::GetIBlockByID($productId);
        if ($iblockId <= 0) {
            throw ShopError::productNotFound($productId);
        }
        $value = $inStock ? self::IN_STOCK : self::OUT_OF_STOCK;
        $property = $this->listValueProperty($value);
        if ($property === null || $property['iblock'] !== $iblockId || $property['code'] !== self::IN_STOCK_CODE) {
            throw ShopError::noStockProperty($productId, $iblockId, $value);
        }
        \CIBlockElement::SetPropertyValuesEx($productId, $iblockId, [self::IN_STOCK_CODE => $value]);
        $saved = \CIBlockElement::GetProperty($iblockId, $productId, 'sort', 'asc', ['CODE' => self::IN_STOCK_CODE])->Fetch();
        if ((int) ($saved['VALUE'] ?? 0) !== $value) {
            throw ShopError::notKept($productId, $value, isset($saved['VALUE']) ? (string) $saved['VALUE'] : null);
        }
    }

    public function snapshot(\DateTimeImmutable $from, \DateTimeImmutable $to, int $afterId, int $limit): array
    {
        $zone = new \DateTimeZone(self::TIME_ZONE);
        $rows = Sale\Order::getList([
            'select' => ['ID', 'STATUS_ID', 'PRICE', 'DATE_UPDATE'],
            'filter' => [
                '>ID' => $afterId,
                '>=DATE_INSERT' => BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($from->setTimezone($zone)->setTime(0, 0))),
                '<DATE_INSERT' => BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($to->setTimezone($zone)->setTime(0, 0)->modify('+1 day'))),
            ],
            'order' => ['ID' => 'ASC'],
            'limit' => $limit,
        ]);
        $orders = [];
        while ($row = $rows->fetch()) {
            $orders[] = [
                'id' => (int) $row['ID'],
                'status_id' => (string) $row['STATUS_ID'],
                'price' => rtrim(rtrim(sprintf('%.4F', (float) $row['PRICE']), '0'), '.'),
                'date_update' => self::date($row['DATE_UPDATE'])?->format(DATE_ATOM) ?? '',
            ];
        }
        return $orders;
    }

    public function orderRecord(int $orderId): ?array
    {
        $order = Sale\Order::load($orderId);
        return $order === null ? null : self::record($order);
    }

    public function orderIds(int $afterId, int $limit, ?int $toId, ?\DateTimeImmutable $since): array
    {
        $filter = ['>ID' => $afterId];
        if ($toId !== null) {
            $filter['<=ID'] = $toId;
        }
        if ($since !== null) {
            $filter['>=DATE_UPDATE'] = BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($since));
        }
        $rows = Sale\Order::getList(['select' => ['ID'], 'filter' => $filter, 'order' => ['ID' => 'ASC'], 'limit' => $limit]);
        $ids = [];
        while ($row = $rows->fetch()) {
            $ids[] = (int) $row['ID'];
        }
        return $ids;
    }

    public function catalog(int $afterId, int $limit, ?\DateTimeImmutable $changedSince = null): array
    {
        $iblockId = (int) ($this->ids[Config::CATALOG_IBLOCK_ID] ?? 0);
        $filter = ['=IBLOCK_ID' => $iblockId, '>ID' => $afterId];
        if ($changedSince !== null) {
            // TIMESTAMP_X moves on every save of the element (its properties, IN_STOCK among them).
            $filter['>=TIMESTAMP_X'] = BitrixDateTime::createFromPhp(\DateTime::createFromImmutable($changedSince));
        }
        // iblock/lib/element.php (ElementTable): the catalogue's elements, active or not.
        $rows = \Bitrix\Iblock\ElementTable::getList([
            'select' => ['ID', 'NAME', 'CODE', 'ACTIVE', 'IBLOCK_SECTION_ID', 'DETAIL_PICTURE', 'PREVIEW_PICTURE', 'TIMESTAMP_X'],
            'filter' => $filter,
            'order' => ['ID' => 'ASC'],
            'limit' => $limit,
        ]);
        $elements = [];
        while ($row = $rows->fetch()) {
            $elements[(int) $row['ID']] = $row;
        }
        if ($elements === []) {
            return [];
        }
        $ids = array_keys($elements);
        // iblock/lib/section.php (SectionTable): the sections' names.
        $sections = [];
        $sectionIds = array_values(array_unique(array_filter(array_map(
            static fn (array $row): int => (int) $row['IBLOCK_SECTION_ID'], $elements))));
        if ($sectionIds !== []) {
            $found = \Bitrix\Iblock\SectionTable::getList(['select' => ['ID', 'NAME'], 'filter' => ['@ID' => $sectionIds]]);
            while ($section = $found->fetch()) {
                $sections[(int) $section['ID']] = (string) $section['NAME'];
            }
        }
        // catalog/lib/price.php (PriceTable) in the base price type (catalog/lib/group.php: BASE = Y).
        $prices = [];
        $base = \Bitrix\Catalog\GroupTable::getList(['select' => ['ID'], 'filter' => ['=BASE' => 'Y']])->fetch();
        if ($base !== false) {
            $found = \Bitrix\Catalog\PriceTable::getList([
                'select' => ['PRODUCT_ID', 'PRICE', 'CURRENCY'],
                'filter' => ['@PRODUCT_ID' => $ids, '=CATALOG_GROUP_ID' => (int) $base['ID']],
            ]);
            while ($price = $found->fetch()) {
                $prices[(int) $price['PRODUCT_ID']] = $price;
            }
        }
        // iblock/classes/general/iblockelement.php: the IN_STOCK property of each element.
        $stock = [];
        \CIBlockElement::GetPropertyValuesArray($stock, $iblockId, ['ID' => $ids], ['CODE' => 'IN_STOCK']);
        $storefront = rtrim((string) ($this->ids[Config::STOREFRONT_URL] ?? ''), '/');
        $products = [];
        foreach ($elements as $id => $row) {
            $picture = (int) ($row['DETAIL_PICTURE'] ?: $row['PREVIEW_PICTURE']);
            $path = $picture > 0 ? (string) \CFile::GetPath($picture) : '';
            $inStock = $stock[$id]['IN_STOCK']['VALUE_ENUM_ID'] ?? $stock[$id]['IN_STOCK']['VALUE'] ?? null;
            $section = (int) $row['IBLOCK_SECTION_ID'];
            $products[] = [
                'id' => (string) $id,
                'name' => (string) $row['NAME'],
                'code' => (string) $row['CODE'],
                'active' => $row['ACTIVE'] === 'Y' ? 'Y' : 'N',
                'section' => $section > 0 ? ['id' => (string) $section, 'name' => $sections[$section] ?? ''] : null,
                'price' => isset($prices[$id]) ? rtrim(rtrim(sprintf('%.4F', (float) $prices[$id]['PRICE']), '0'), '.') : null,
                'currency' => isset($prices[$id]) ? (string) $prices[$id]['CURRENCY'] : null,
                'in_stock' => $inStock !== null && $inStock !== '' ? (string) $inStock : null,
                'picture' => $path === '' ? null : (str_starts_with($path, 'http') ? $path : $storefront . $path),
                'changed_at' => self::date($row['TIMESTAMP_X'])?->format(DATE_ATOM),
            ];
        }
        return $products;
    }

    public function reference(): array
    {
        return [
            'slots' => $this->variants('when', true),
            'cities' => $this->variants('city', false),
            'shops' => $this->variants('shopId', false),
            // sale/lib/statusbase.php: StatusTable with StatusLangTable's NAME, type O (orders).
            'statuses' => self::pairs(Sale\OrderStatus::getAllStatusesNames(LANGUAGE_ID)),
            // sale/lib/paysystem/manager.php
            'pay_systems' => self::rows(Sale\PaySystem\Manager::getList([
                'select' => ['ID', 'NAME'], 'filter' => ['=ACTIVE' => 'Y'], 'order' => ['SORT' => 'ASC'],
            ])),
            // sale/lib/delivery/services/manager.php: id => fields of the active services.
            'deliveries' => array_values(array_map(
                static fn (array $service): array => ['id' => (string) $service['ID'], 'name' => (string) $service['NAME']],
                Sale\Delivery\Services\Manager::getActiveList(),
            )),
        ];
    }

    /**
     * The values of an order property of type enum (sale/lib/internals/orderprops_variant.php:
     * b_sale_order_props_variant), for the site's person type.
     *
     * @return list<array<string, mixed>>
     */
    private function variants(string $code, bool $withSort): array
    {
        $property = Sale\Internals\OrderPropsTable::getList([
            'select' => ['ID'],
            'filter' => ['=CODE' => $code, '=PERSON_TYPE_ID' => (int) ($this->ids[Config::PERSON_TYPE_ID] ?? 1)],
        ])->fetch();
        if ($property === false) {
            return [];
        }
        $rows = Sale\Internals\OrderPropsVariantTable::getList([
            'select' => ['VALUE', 'NAME', 'SORT'],
            'filter' => ['=ORDER_PROPS_ID' => (int) $property['ID']],
            'order' => ['SORT' => 'ASC', 'ID' => 'ASC'],
        ]);
        $values = [];
        while ($row = $rows->fetch()) {
            $value = ['id' => (string) $row['VALUE'], 'name' => (string) $row['NAME']];
            $values[] = $withSort ? $value + ['sort' => (int) $row['SORT']] : $value;
        }
        return $values;
    }

    /** @param array<string|int, string> $names id => name */
    private static function pairs(array $names): array
    {
        $pairs = [];
        foreach ($names as $id => $name) {
            $pairs[] = ['id' => (string) $id, 'name' => (string) $name];
        }
        return $pairs;
    }

    private static function rows(\Bitrix\Main\DB\Result $result): array
    {
        $rows = [];
        while ($row = $result->fetch()) {
            $rows[] = ['id' => (string) $row['ID'], 'name' => (string) $row['NAME']];
        }
        return $rows;
    }

    /** The order as the webhook describes it (Webhook\Mapper's record). */
    private static function record(Sale\Order $order): array
    {
        $properties = [];
        foreach ($order->getPropertyCollection() as $property) {
            $code = (string) $property->getField('CODE');
            if ($code !== '') {
                $properties[$code] = $property->getValue();
            }
        }
        $basket = [];
        foreach ($order->getBasket() ?? [] as $item) {
            $basket[] = [
                'ID' => $item->getId(),
                'PRODUCT_ID' => $item->getProductId(),
                'NAME' => $item->getField('NAME'),
                'PRICE' => $item->getPrice(),
                'QUANTITY' => $item->getQuantity(),
                'CURRENCY' => $item->getCurrency(),
            ];
        }
        // The first payment names how the buyer pays (sale/lib/payment.php: getPaymentSystemId,
        // getPaymentSystemName); the order says whether all is paid (sale/lib/orderbase.php:
        // isPaid, getSumPaid).
        $payment = null;
        foreach ($order->getPaymentCollection() as $first) {
            $payment = $first;
            break;
        }
        $userId = (int) $order->getUserId();
        // The buyer's contact is the only read beyond the saved order: its failure costs the
        // webhook the buyer's details, never the event.
        try {
            $user = $userId > 0 ? UserTable::getList([
                'select' => ['ID', 'NAME', 'LAST_NAME', 'EMAIL', 'PERSONAL_PHONE'],
                'filter' => ['=ID' => $userId],
            ])->fetch() : false;
        } catch (\Throwable) {
            $user = false;
        }
        return [
            'ID' => $order->getId(),
            'ACCOUNT_NUMBER' => $order->getField('ACCOUNT_NUMBER'),
            'STATUS_ID' => $order->getField('STATUS_ID'),
            'USER_ID' => $userId > 0 ? $userId : null,
            'PRICE' => $order->getPrice(),
            'PRICE_DELIVERY' => $order->getDeliveryPrice(),
            'CURRENCY' => $order->getCurrency(),
            'DATE_INSERT' => self::date($order->getField('DATE_INSERT')),
            'DATE_UPDATE' => self::date($order->getField('DATE_UPDATE')),
            'USER_DESCRIPTION' => $order->getField('USER_DESCRIPTION'),
            'PAYED' => $order->isPaid() ? 'Y' : 'N',
            'SUM_PAID' => $order->getSumPaid(),
            'PAY_SYSTEM_ID' => $payment?->getPaymentSystemId(),
            'PAY_SYSTEM_NAME' => $payment?->getPaymentSystemName(),
            'properties' => $properties,
            'basket' => $basket,
            'user' => $user ?: null,
        ];
    }

    private static function date(mixed $value): ?\DateTimeImmutable
    {
        if (!$value instanceof BitrixDateTime) {
            return null;
        }
        return (new \DateTimeImmutable('@' . $value->getTimestamp()))->setTimezone(new \DateTimeZone(self::TIME_ZONE));
    }

    /**
     * A Bitrix Result with an error, or (sale/lib/result.php) a warning, becomes the contract's
     * error: the product Bitrix cannot sell (basketitembase.php: SALE_BASKET_AVAILABLE_QUANTITY)
     * is named; anything else is Bitrix refusing, with its messages.
     */
    private function check(\Bitrix\Main\Result $result, ?int $productId = null): void
    {
        $warnings = $result instanceof Sale\Result ? $result->getWarnings() : [];
        if ($result->isSuccess() && $warnings === []) {
            return;
        }
        foreach ($result->getErrors() as $error) {
            if (in_array($error->getCode(), ['SALE_BASKET_AVAILABLE_QUANTITY', 'SALE_BASKET_ITEM_WRONG_AVAILABLE_QUANTITY'], true)
                && $productId !== null) {
                throw ShopError::notAvailable($productId);
            }
        }
        $messages = array_map(static fn (\Bitrix\Main\Error $e): string => $e->getMessage(), [...$result->getErrors(), ...$warnings]);
        throw ShopError::refused(implode('; ', $messages));
    }
}
