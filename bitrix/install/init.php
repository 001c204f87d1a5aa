<?php
// Add these lines to /local/php_interface/init.php (after anything that is already there).
// The kit lives in /local/php_interface/cvetycrm; see the README's "Installing the Bitrix kit".
require_once __DIR__ . '/cvetycrm/autoload.php';
\CvetyCrm\Bitrix\BitrixShop::register(__DIR__ . '/cvetycrm');
