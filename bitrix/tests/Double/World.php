<?php
declare(strict_types=1);

namespace CvetyCrm\Tests\Double;

use PDO;

/**
 * The state behind the double of Bitrix's API (Main.php, Sale.php, Legacy.php): the site's
 * database (b_sale_* tables on a real PDO connection, so a rollback undoes a save), its catalogue,
 * options, registered handlers and agents, the event log, the admin notifications and the
 * e-mails sale would have sent. reset() gives a fresh site; a test sets what it needs.
 */
final class World
{
    public static PDO $pdo;
    public static string $siteCurrency = 'KZT';
    public static bool $utf8 = true;
    /** @var array<string, bool> modules Loader::includeModule finds */
    public static array $modules = [];
    /** @var array<string, array<string, string>> module => name => value (b_option) */
    public static array $options = [];
    /** @var list<array{from: string, event: string, to: string, class: string, method: string, compatible: bool}> b_module_to_module */
    public static array $handlers = [];
    /** @var list<array{name: string, module: string, interval: int}> b_agent */
    public static array $agents = [];
    /** @var list<array<string, mixed>> b_event_log */
    public static array $eventLog = [];
    /** @var array<string, array<string, mixed>> tag => b_admin_notify */
    public static array $adminNotify = [];
    /** @var list<string> e-mail events sale sent (Sale\Notify) */
    public static array $mails = [];
    /** @var array<int, array{iblock: int, name: string, properties: array<string, int|string|null>}> elements */
    public static array $elements = [];
    /** @var array<int, array{id: int, iblock: int, code: string}> iblock properties */
    public static array $properties = [];
    /** @var array<int, array{id: int, property: int, value: string}> list values (b_iblock_property_enum) */
    public static array $enums = [];
    /** @var array<int, float> product id => quantity the provider can sell (absent: unlimited) */
    public static array $stock = [];
    /** @var array<int, array<string, mixed>> b_user */
    public static array $users = [];
    /** @var array<int, list<int>> user id => group ids */
    public static array $groups = [];
    /** @var list<array{code: string, name: string, required: bool, person_type: int}> b_sale_order_props */
    public static array $orderProperties = [];
    /** @var array<string, string> status id => name (b_sale_status) */
    public static array $statuses = [];
    /** Told to fail: the property collection's save (sale adds its errors to save()'s warnings). */
    public static bool $failPropertySave = false;
    /** Told to fail: SetPropertyValuesEx writes nothing (a read back sees the old value). */
    public static bool $ignorePropertyWrites = false;
    /** The response Application::end() sent. */
    public static ?\Bitrix\Main\HttpResponse $sent = null;
    /** @var array<int, string> delivery services (b_sale_delivery_srv) */
    public static array $deliveries = [];
    /** @var array<int, string> pay systems (b_sale_pay_system_action) */
    public static array $paySystems = [];
    /** @var list<string> files the installer copied (CopyDirFiles) or deleted */
    public static array $files = [];

    public static function reset(?PDO $pdo = null): void
    {
        self::$pdo = $pdo ?? new PDO('sqlite::memory:');
        self::$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
        self::$pdo->setAttribute(PDO::ATTR_DEFAULT_FETCH_MODE, PDO::FETCH_ASSOC);
        $sqlite = self::$pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'sqlite';
        $id = $sqlite ? 'INTEGER PRIMARY KEY AUTOINCREMENT' : 'INT PRIMARY KEY AUTO_INCREMENT';
        // Bitrix's own tables on a UTF-8 site are utf8mb4 (the module's say so themselves).
        $charset = $sqlite ? '' : ' DEFAULT CHARSET=utf8mb4';
        foreach (['b_sale_order_props_value', 'b_sale_basket', 'b_sale_order_payment', 'b_sale_order_delivery', 'b_sale_order'] as $table) {
            self::$pdo->exec("DROP TABLE IF EXISTS $table");
        }
        self::$pdo->exec("CREATE TABLE b_sale_order (ID $id, LID VARCHAR(2), PERSON_TYPE_ID INT, USER_ID INT,
            STATUS_ID VARCHAR(2), PRICE DECIMAL(18,4), PRICE_DELIVERY DECIMAL(18,4), CURRENCY VARCHAR(3),
            USER_DESCRIPTION TEXT, ACCOUNT_NUMBER VARCHAR(100), DATE_INSERT BIGINT, DATE_UPDATE BIGINT, VERSION INT)$charset");
        self::$pdo->exec("CREATE TABLE b_sale_basket (ID $id, ORDER_ID INT, PRODUCT_ID INT, NAME VARCHAR(255),
            PRICE DECIMAL(18,4), QUANTITY DECIMAL(18,4), CURRENCY VARCHAR(3), XML_ID VARCHAR(255), CUSTOM_PRICE CHAR(1))$charset");
        self::$pdo->exec("CREATE TABLE b_sale_order_payment (ID $id, ORDER_ID INT, PAY_SYSTEM_ID INT, SUM DECIMAL(18,4),
            CURRENCY VARCHAR(3), PAID CHAR(1))$charset");
        self::$pdo->exec("CREATE TABLE b_sale_order_delivery (ID $id, ORDER_ID INT, DELIVERY_ID INT,
            PRICE_DELIVERY DECIMAL(18,4), CURRENCY VARCHAR(3))$charset");
        self::$pdo->exec("CREATE TABLE b_sale_order_props_value (ID $id, ORDER_ID INT, CODE VARCHAR(50), VALUE TEXT)$charset");
        self::$siteCurrency = 'KZT';
        self::$utf8 = true;
        self::$modules = ['main' => true, 'sale' => true, 'iblock' => true, 'catalog' => true, 'currency' => true];
        self::$options = [];
        self::$handlers = [];
        self::$agents = [];
        self::$eventLog = [];
        self::$adminNotify = [];
        self::$mails = [];
        self::$failPropertySave = false;
        self::$ignorePropertyWrites = false;
        self::$files = [];
        self::$stock = [];
        // The shop as SPEC.md describes it: bouquets in iblock 2 with the list IN_STOCK (158 yes,
        // 159 no); their offers in the SKU iblock 3, which has no IN_STOCK.
        self::$properties = [40 => ['id' => 40, 'iblock' => 2, 'code' => 'IN_STOCK'], 41 => ['id' => 41, 'iblock' => 3, 'code' => 'CML2_LINK'],
                             42 => ['id' => 42, 'iblock' => 5, 'code' => 'IN_STOCK']];
        self::$enums = [158 => ['id' => 158, 'property' => 40, 'value' => 'Да'], 159 => ['id' => 159, 'property' => 40, 'value' => 'Нет'],
                        170 => ['id' => 170, 'property' => 42, 'value' => 'Да'], 171 => ['id' => 171, 'property' => 42, 'value' => 'Нет']];
        self::$elements = [
            15652 => ['iblock' => 2, 'name' => 'Букет Стандарт', 'properties' => ['IN_STOCK' => 158]],
            15660 => ['iblock' => 2, 'name' => 'Букет Нежность', 'properties' => ['IN_STOCK' => 158]],
            18001 => ['iblock' => 3, 'name' => 'Букет Стандарт, 25 роз', 'properties' => ['CML2_LINK' => 15652]],
        ];
        self::$users = [
            1 => ['ID' => 1, 'NAME' => 'Администратор', 'LAST_NAME' => '', 'EMAIL' => 'admin@cvety.kz', 'PERSONAL_PHONE' => '', 'ACTIVE' => 'Y'],
            77 => ['ID' => 77, 'NAME' => 'Заказы из CRM', 'LAST_NAME' => '', 'EMAIL' => 'crm-orders@cvety.kz', 'PERSONAL_PHONE' => '', 'ACTIVE' => 'Y'],
            4521 => ['ID' => 4521, 'NAME' => 'Данияр', 'LAST_NAME' => 'Сеитов', 'EMAIL' => 'd@example.kz', 'PERSONAL_PHONE' => '+77015550000', 'ACTIVE' => 'Y'],
        ];
        self::$groups = [1 => [1, 2], 77 => [2], 4521 => [2, 3]];
        self::$orderProperties = [];
        foreach (['nameRecipient' => true, 'phoneRecipient' => true, 'addressRecipient' => false, 'postcardText' => false,
                  'data' => false, 'city' => false, 'when' => false, 'shopId' => false, 'crmOrderId' => false,
                  'crmTrackUrl' => false] as $code => $required) {
            self::$orderProperties[] = ['code' => $code, 'name' => $code, 'required' => $required, 'person_type' => 1];
        }
        self::$deliveries = [2 => 'Доставка курьером'];
        self::$paySystems = [3 => 'Kaspi'];
        self::$statuses = ['N' => 'Принят', 'AP' => 'Собирается', 'PD' => 'Доставляется', 'CO' => 'Доставлен',
                           'DN' => 'Отменён', 'F' => 'Выполнен'];
        \Bitrix\Main\EventManager::reset();
        \Bitrix\Sale\Notify::setNotifyDisable(false);
    }

    /** @return list<array<string, mixed>> */
    public static function rows(string $sql, array $params = []): array
    {
        $statement = self::$pdo->prepare($sql);
        $statement->execute($params);
        return $statement->fetchAll();
    }
}

/**
 * A delivery service or pay system as their managers give them: getId(), getName() (delivery's
 * Base), getField('NAME') (paysystem's Service).
 */
final class Service
{
    public function __construct(private int $id, private string $name)
    {
    }

    public function getId(): int
    {
        return $this->id;
    }

    public function getName(): string
    {
        return $this->name;
    }

    public function getField(string $name): mixed
    {
        return $name === 'NAME' ? $this->name : null;
    }
}
