<?php
// The module's settings page (Настройки → Настройки продукта → Настройки модулей → CRM cvety.kz):
// Bitrix includes this file; the form and its checks are CvetyCrm\Admin's.
use Bitrix\Main\Loader;

if (!$USER->IsAdmin() || !Loader::includeModule('cvety.crm')) {
    return;
}
$kit = \CvetyCrm\Bitrix\BitrixShop::kit();
$shop = $kit->shop;
$settings = new \CvetyCrm\Admin\Settings($shop, new \CvetyCrm\Webhook\CurlClient(3, 5), $kit->outbox);
$problems = [];
$posted = [];
if ($_SERVER['REQUEST_METHOD'] === 'POST' && check_bitrix_sessid()) {
    $posted = $_POST;
    $problems = $settings->save($_POST);
}
$config = \CvetyCrm\Bitrix\BitrixShop::kit()->config;
$checks = $settings->checks($config);
echo \CvetyCrm\Admin\SettingsPage::render($config, $checks, $problems, $problems === [] ? [] : $posted,
    $APPLICATION->GetCurPage() . '?mid=cvety.crm&lang=' . LANGUAGE_ID, bitrix_sessid_post());
