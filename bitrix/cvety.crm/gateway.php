<?php
// The gateway's entry file. Install as /local/cvetycrm/gateway.php: a real file, so Bitrix's
// URL rewriting leaves it alone (no underscores in the name, nothing under /api/). The Worker's
// BITRIX_API_URL is then https://cvety.kz/local/cvetycrm/gateway.php.
define('NO_KEEP_STATISTIC', true);
define('NOT_CHECK_PERMISSIONS', true);
define('STOP_STATISTICS', true);
define('NO_AGENT_CHECK', true);
define('BX_SECURITY_SESSION_VIRTUAL', true);
require $_SERVER['DOCUMENT_ROOT'] . '/bitrix/modules/main/include/prolog_before.php';
\CvetyCrm\Bitrix\BitrixShop::serveGateway();
