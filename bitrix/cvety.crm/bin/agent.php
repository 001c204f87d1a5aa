<?php
// The cron agent: sends what is waiting in the outbox (events a page's background job could not
// deliver), prunes old records, and prints one status line. Every minute:
//   * * * * * php /path/to/site/local/php_interface/cvetycrm/bin/agent.php >> /var/log/cvetycrm-agent.log 2>&1
// It needs no Bitrix: only the kit's database and the network. After sending, it reports the
// outbox (waiting, failing, dead) to the Worker. --status prints and sends nothing.
declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

use CvetyCrm\Config;
use CvetyCrm\Gateway\IdempotencyStore;
use CvetyCrm\Storage\Database;
use CvetyCrm\Webhook\CurlClient;
use CvetyCrm\Webhook\Outbox;
use CvetyCrm\Webhook\Reporter;
use CvetyCrm\Webhook\Sender;
use CvetyCrm\Webhook\Signer;

$config = Config::load(dirname(__DIR__));
$db = Database::connect($config->databaseDsn(), $config->databaseUser(), $config->databasePassword());
$outbox = new Outbox($db);
$result = ['sent' => 0, 'failed' => 0];
if (!in_array('--status', $argv, true)) {
    $sender = new Sender($outbox, new Signer($config->signingSecret()), new CurlClient(), $config->workerUrl(), null, $config->retryPolicy());
    // Under a minute, so that two cron runs never overlap for long (a lease keeps them apart).
    $result = $sender->flush(2000, 50);
    $outbox->prune(time());
    (new IdempotencyStore($db))->prune(time());
    // The CRM's sync page shows the shop's side too (and notices when this agent stops).
    (new Reporter($outbox, new Signer($config->signingSecret()), new CurlClient(), $config->workerUrl()))->report(time());
}
$status = $outbox->status();
printf(
    "%s agent: sent %d, failed %d; waiting %d (failing %d); dead %d%s%s\n",
    date('c'),
    $result['sent'],
    $result['failed'],
    $status['unsent'],
    $status['failing'],
    $status['dead'],
    $status['oldest_unsent_at'] === null ? '' : ', oldest since ' . date('c', $status['oldest_unsent_at']),
    $status['last_error'] === null ? '' : '; last error: ' . $status['last_error'],
);
