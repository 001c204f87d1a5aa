<?php
// The module's settings page (Настройки → Настройки продукта → Настройки модулей → CRM cvety.kz):
// Bitrix includes this file; the form and its checks are CvetyCrm\Admin's.
use Bitrix\Main\Config\Option;
use Bitrix\Main\Loader;

if (!$USER->IsAdmin() || !Loader::includeModule('cvety.crm')) {
    return;
}
$kit = \CvetyCrm\Bitrix\BitrixShop::kit();
$settings = new \CvetyCrm\Admin\Settings($kit->shop, new \CvetyCrm\Webhook\CurlClient(3, 5), $kit->outbox);
$problems = [];
if ($_SERVER['REQUEST_METHOD'] === 'POST' && check_bitrix_sessid()) {
    $problems = $settings->save($_POST);
}
// What is saved now (the environment still wins for the secrets).
$config = \CvetyCrm\Config::from(Option::getForModule('cvety.crm'));
echo \CvetyCrm\Admin\SettingsPage::render($config, $settings->checks($config), $problems, $problems === [] ? [] : $_POST,
    $APPLICATION->GetCurPage() . '?mid=cvety.crm&lang=' . LANGUAGE_ID, bitrix_sessid_post());
