<?php
// The page's background job, in its own process: `php -S` sends an answer only when its script
// ends, so the router starts this to send the outbox after the answer, as Bitrix's
// Application::addBackgroundJob does after fastcgi_finish_request.
declare(strict_types=1);

require dirname(__DIR__) . '/bootstrap.php';

use CvetyCrm\Config;
use CvetyCrm\Storage\Database;
use CvetyCrm\Webhook\CurlClient;
use CvetyCrm\Webhook\Outbox;
use CvetyCrm\Webhook\Sender;
use CvetyCrm\Webhook\Signer;

$config = Config::from([], getenv());
usleep(50_000);
$db = Database::connect($config->databaseDsn());
(new Sender(new Outbox($db), new Signer($config->signingSecret()), new CurlClient(2, 5), $config->workerUrl(), null, $config->retryPolicy()))->flush(50, 10);
