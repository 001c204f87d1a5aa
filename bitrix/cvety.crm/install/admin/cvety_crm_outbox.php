<?php
// Copied to /bitrix/admin/ by the installer (Bitrix's admin pages live there); the page is the module's.
$module = is_dir($_SERVER['DOCUMENT_ROOT'] . '/local/modules/cvety.crm') ? '/local/modules' : '/bitrix/modules';
require $_SERVER['DOCUMENT_ROOT'] . $module . '/cvety.crm/admin/outbox.php';
