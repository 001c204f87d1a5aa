<?php
// Backfill: puts order.update events for existing orders in the outbox, to be sent by the agent.
//   php bin/resend.php --from-id 120000 --to-id 122000 [--rate 5]
//   php bin/resend.php --since 2025-08-01 [--rate 5]
// Rate-limited (orders a second), resumable (a stopped run with the same arguments goes on
// after the last order it did; delete var/resend-state.json to start over), one progress line
// per 50 orders. Needs Bitrix: run it with DOCUMENT_ROOT set, from the site's server.
declare(strict_types=1);

require dirname(__DIR__) . '/autoload.php';

$options = getopt('', ['from-id:', 'to-id:', 'since:', 'rate:', 'document-root:']);
$root = $options['document-root'] ?? getenv('DOCUMENT_ROOT') ?: dirname(__DIR__, 4);
if (!isset($options['from-id']) && !isset($options['since'])) {
    fwrite(STDERR, "usage: resend.php --from-id N [--to-id M] | --since YYYY-MM-DD [--rate N] [--document-root DIR]\n");
    exit(2);
}
$_SERVER['DOCUMENT_ROOT'] = $root;
define('NO_KEEP_STATISTIC', true);
define('NOT_CHECK_PERMISSIONS', true);
define('BX_CRONTAB', true);
require $root . '/bitrix/modules/main/include/prolog_before.php';

$since = isset($options['since']) ? new DateTimeImmutable($options['since'] . ' 00:00', new DateTimeZone('Asia/Almaty')) : null;
$kit = \CvetyCrm\Kit::instance();
@mkdir(dirname(__DIR__) . '/var', 0770);
$resender = new \CvetyCrm\Backfill\Resender($kit->shop, $kit->events, dirname(__DIR__) . '/var/resend-state.json',
    (float) ($options['rate'] ?? 5));
$resender->run((int) ($options['from-id'] ?? 1), isset($options['to-id']) ? (int) $options['to-id'] : null, $since);
