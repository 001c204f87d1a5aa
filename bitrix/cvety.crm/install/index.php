<?php
// The module's installer, as Bitrix reads it in Marketplace → Установленные решения. Bitrix parses
// this file on any PHP to list the module, so it is PHP 7 syntax and checks the PHP version before
// loading the module's classes (PHP 8.1). The work is CvetyCrm\Module\Installer's.
use Bitrix\Main\Application;

class cvety_crm extends CModule
{
    public $MODULE_ID = 'cvety.crm';
    public $MODULE_VERSION;
    public $MODULE_VERSION_DATE;
    public $MODULE_NAME = 'CRM cvety.kz';
    public $MODULE_DESCRIPTION = 'Передаёт заказы в CRM cvety.kz и принимает из неё заказы, статусы и наличие товаров.';
    public $PARTNER_NAME = 'cvety.kz';
    public $PARTNER_URI = 'https://cvety.kz';

    public function __construct()
    {
        $arModuleVersion = [];
        include __DIR__ . '/version.php';
        $this->MODULE_VERSION = $arModuleVersion['VERSION'];
        $this->MODULE_VERSION_DATE = $arModuleVersion['VERSION_DATE'];
    }

    /** Installs, or says why not (step.php shows the refusal or the way to the settings). */
    public function DoInstall()
    {
        global $APPLICATION;
        if (PHP_VERSION_ID < 80100) {
            $APPLICATION->ThrowException('Нужен PHP 8.1 или новее, на сайте PHP ' . PHP_VERSION . '. Обновите PHP и установите модуль снова.');
        } else {
            $problems = $this->installer()->install();
            if ($problems !== []) {
                $APPLICATION->ThrowException(implode("\n", $problems));
            }
        }
        $APPLICATION->IncludeAdminFile('Установка модуля CRM cvety.kz', __DIR__ . '/step.php');
    }

    /**
     * Two steps, as Bitrix's modules do: unstep1.php asks whether to keep the data (checked by
     * default), then the module goes; its tables and settings only when the box was cleared.
     */
    public function DoUninstall()
    {
        global $APPLICATION;
        $request = Application::getInstance()->getContext()->getRequest();
        if ((int) $request->get('step') < 2) {
            $APPLICATION->IncludeAdminFile('Удаление модуля CRM cvety.kz', __DIR__ . '/unstep1.php');
            return;
        }
        $this->installer()->uninstall($request->get('savedata') === 'Y');
        $APPLICATION->IncludeAdminFile('Удаление модуля CRM cvety.kz', __DIR__ . '/unstep2.php');
    }

    private function installer()
    {
        require_once dirname(__DIR__) . '/include.php';
        $shop = new \CvetyCrm\Bitrix\BitrixShop();
        return new \CvetyCrm\Module\Installer($shop, new \CvetyCrm\Storage\Database($shop));
    }
}
