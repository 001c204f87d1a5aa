<?php
// Магазин → Очередь CRM (/bitrix/admin/cvety_crm_outbox.php requires this file).
use Bitrix\Main\Loader;

require_once $_SERVER['DOCUMENT_ROOT'] . '/bitrix/modules/main/include/prolog_admin_before.php';
if (!$USER->IsAdmin() || !Loader::includeModule('cvety.crm')) {
    $APPLICATION->AuthForm('Доступ запрещён');
}
$page = new \CvetyCrm\Admin\OutboxPage(\CvetyCrm\Kit::instance(), time());
$message = '';
if ($_SERVER['REQUEST_METHOD'] === 'POST' && check_bitrix_sessid()) {
    $message = $page->act($_POST);
}
$running = $page->step();
$APPLICATION->SetTitle('Очередь CRM');
require $_SERVER['DOCUMENT_ROOT'] . '/bitrix/modules/main/include/prolog_admin_after.php';
echo $page->render($APPLICATION->GetCurPage() . '?lang=' . LANGUAGE_ID, bitrix_sessid_post(), $message, $running);
require $_SERVER['DOCUMENT_ROOT'] . '/bitrix/modules/main/include/epilog_admin.php';
