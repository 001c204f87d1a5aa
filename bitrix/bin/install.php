<?php
// Creates the kit's own tables (outbox, idempotency keys) in the database of config.php, and
// checks the settings. Run once after copying the kit, and after each update:
//   php /path/to/site/local/php_interface/cvetycrm/bin/install.php
declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

use CvetyCrm\Config;
use CvetyCrm\Storage\Database;
use CvetyCrm\Webhook\Signer;

$config = Config::load(dirname(__DIR__));
$db = Database::connect($config->databaseDsn(), $config->databaseUser(), $config->databasePassword());
$db->install();
new Signer($config->signingSecret());
if (strlen($config->gatewayToken()) < 24) {
    fwrite(STDERR, "install: gateway_token is shorter than 24 characters: use the Worker's BITRIX_API_TOKEN\n");
    exit(1);
}
echo "install: the kit's tables are ready in {$config->databaseDsn()}; webhooks go to {$config->workerUrl()}\n";
