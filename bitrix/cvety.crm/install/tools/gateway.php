<?php
// The gateway's entry: the installer copies it to /bitrix/tools/cvety.crm/gateway.php, so the
// Worker's BITRIX_API_URL is https://cvety.kz/bitrix/tools/cvety.crm/gateway.php (a real file:
// Bitrix's URL rewriting leaves it alone). Bitrix's prolog loads the site; the module answers.
define('NO_KEEP_STATISTIC', true);
define('NOT_CHECK_PERMISSIONS', true);
define('STOP_STATISTICS', true);
define('NO_AGENT_CHECK', true);
define('BX_SECURITY_SESSION_VIRTUAL', true);
require $_SERVER['DOCUMENT_ROOT'] . '/bitrix/modules/main/include/prolog_before.php';
if (!\Bitrix\Main\Loader::includeModule('cvety.crm')) {
    http_response_code(503);
    header('Content-Type: application/json; charset=utf-8');
    echo '{"ok":false,"error":"module_not_installed","message":"Модуль cvety.crm не установлен"}';
    return;
}
\CvetyCrm\Bitrix\BitrixShop::serveGateway();
