<?php
// The Bitrix side for the Worker's end-to-end tests (tests/bitrix.rs), served by `php -S`: the
// kit's real gateway, handler, outbox and sender over the SqliteShop stand-in, and /__shop/...
// endpoints through which a test acts as the shop's staff and looks at what happened.
//
// Environment: CVETY_KIT_DSN (the kit's database), CVETY_SHOP_DB (the stand-in's SQLite file),
// CVETY_WORKER_URL, WEBHOOK_SIGNING_SECRET, BITRIX_API_TOKEN.
declare(strict_types=1);

require dirname(__DIR__) . '/bootstrap.php';

use CvetyCrm\Config;
use CvetyCrm\Kit;
use CvetyCrm\Storage\Database;
use CvetyCrm\Tests\Fake\Later;
use CvetyCrm\Tests\Fake\SqliteShop;
use CvetyCrm\Webhook\CurlClient;

$shop = SqliteShop::open((string) getenv('CVETY_SHOP_DB'));
$shop->pdo->exec('CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT)');
$shop->pdo->exec('CREATE TABLE IF NOT EXISTS gateway_log (id INTEGER PRIMARY KEY AUTOINCREMENT, request_key TEXT,
    action TEXT, status INTEGER, body TEXT)');
$setting = static function (string $name, string $default) use ($shop): string {
    $find = $shop->pdo->prepare('SELECT value FROM settings WHERE name = ?');
    $find->execute([$name]);
    $value = $find->fetchColumn();
    return $value === false ? $default : (string) $value;
};
$environment = getenv();
$environment['CVETY_WORKER_URL'] = $setting('worker_url', (string) getenv('CVETY_WORKER_URL'));
$config = Config::from([], $environment);
$db = Database::connect($config->databaseDsn());
$db->install();
$later = new Later();
$kit = new Kit($config, $db, $shop, $later, new CurlClient(2, 5));
$shop->onSave(static fn (array $record, bool $isNew, bool $isChanged, array $old) =>
    $kit->events->handle($record, $isNew, $isChanged, $old));

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$body = (string) file_get_contents('php://input');
$input = json_decode($body, true) ?: [];
$json = static function (int $status, mixed $value): void {
    $text = json_encode($value, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
    http_response_code($status);
    header('Content-Type: application/json; charset=utf-8');
    header('Content-Length: ' . strlen($text));
    echo $text;
};
// When the page's background jobs (the outbox flush) run: after the answer as on Bitrix
// ("after"), before it ("before": the webhook reaches the Worker before the gateway's answer),
// or only when a test asks ("manual").
$flush = $setting('flush', 'after');
// After the answer: the jobs are dropped here and the outbox is sent by a process of its own
// (php -S answers only when the script ends), with the Worker address of the settings.
$after = static function (Later $later) use ($environment): void {
    if ($later->jobs === []) {
        return;
    }
    $later->jobs = [];
    $command = sprintf('CVETY_WORKER_URL=%s %s %s > /dev/null 2>&1 &', escapeshellarg($environment['CVETY_WORKER_URL']),
        escapeshellarg(PHP_BINARY), escapeshellarg(__DIR__ . '/flush.php'));
    exec($command);
};

if (!str_starts_with($path, '/__shop/')) {
    $headers = array_change_key_case(getallheaders() ?: [], CASE_LOWER);
    $response = $kit->gateway()->handle($_SERVER['REQUEST_METHOD'] ?? 'GET', $headers, $body);
    $shop->pdo->prepare('INSERT INTO gateway_log (request_key, action, status, body) VALUES (?, ?, ?, ?)')
        ->execute([$headers['idempotency-key'] ?? null, $input['action'] ?? null, $response->status, $response->json()]);
    if ($flush === 'before') {
        $later->run();
    }
    $response->send();
    if ($flush === 'after') {
        $after($later);
    }
    return;
}

$parts = explode('/', trim(substr($path, strlen('/__shop/')), '/'));
switch (true) {
    case $parts === ['settings']:
        foreach ($input as $name => $value) {
            $shop->pdo->prepare('INSERT OR REPLACE INTO settings (name, value) VALUES (?, ?)')->execute([$name, (string) $value]);
        }
        $json(200, ['ok' => true]);
        break;
    case $parts === ['orders']:
        // A buyer places an order on the storefront.
        $id = $shop->create($input + ['status_id' => 'N', 'user_id' => 4521, 'price_delivery' => '1500.00',
            'currency' => 'KZT', 'user_description' => null, 'properties' => [], 'basket' => []]);
        $json(200, ['ok' => true, 'id' => $id]);
        break;
    case count($parts) === 3 && $parts[0] === 'orders' && $parts[2] === 'status':
        // A manager changes the status in Bitrix's admin.
        $changed = $shop->setStatus((int) $parts[1], (string) $input['status_id']);
        $json(200, ['ok' => true, 'changed' => $changed]);
        break;
    case count($parts) === 2 && $parts[0] === 'orders':
        $json(200, $shop->orderRecord((int) $parts[1]));
        break;
    case $parts === ['crm-orders']:
        $json(200, ['id' => $shop->findOrderByCrmId((string) ($_GET['crm_order_id'] ?? ''))]);
        break;
    case $parts === ['products']:
        $json(200, ['in_stock' => $shop->inStock((int) ($_GET['id'] ?? 0))]);
        break;
    case $parts === ['outbox']:
        $json(200, $db->pdo()->query('SELECT id, order_id, event, body, attempts, sent_at, last_status, last_error
            FROM cvety_crm_outbox ORDER BY id')->fetchAll());
        break;
    case $parts === ['gateway-log']:
        $json(200, $shop->pdo->query('SELECT request_key, action, status, body FROM gateway_log ORDER BY id')->fetchAll());
        break;
    case $parts === ['flush']:
        // The cron agent's run.
        $json(200, $kit->sender()->flush(2000, 50) + $kit->outbox->status());
        break;
    default:
        $json(404, ['ok' => false, 'error' => 'not_found']);
}
if ($flush === 'after') {
    $after($later);
} elseif ($flush === 'before') {
    $later->run();
}
