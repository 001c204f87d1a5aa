<?php
// The double of the old (global) API the kit calls: iblock's elements and list values, agents,
// the event log, admin notifications, CModule and the file helpers. Each names the core file
// (avshatalov48/bitrix-core-business) it mirrors for the cases the tests cover.
declare(strict_types=1);

use Bitrix\Main\DB\ArrayResult;
use CvetyCrm\Tests\Double\World;

/**
 * iblock/classes/general/iblockelement.php: GetIBlockByID() is the element's iblock or false;
 * SetPropertyValuesEx() writes the values of the codes the iblock has and silently ignores the
 * rest (a code the iblock lacks is not an error); GetProperty() reads them (a list's VALUE is the
 * enum's id).
 */
class CIBlockElement
{
    public static function GetIBlockByID($id): int|false
    {
        return isset(World::$elements[(int) $id]) ? World::$elements[(int) $id]['iblock'] : false;
    }

    public static function SetPropertyValuesEx($elementId, $iblockId, $values, $flags = []): void
    {
        if (World::$ignorePropertyWrites || !isset(World::$elements[(int) $elementId])) {
            return;
        }
        foreach ($values as $code => $value) {
            foreach (World::$properties as $property) {
                if ($property['iblock'] === (int) $iblockId && $property['code'] === $code) {
                    World::$elements[(int) $elementId]['properties'][$code] = $value;
                }
            }
        }
    }

    public static function GetProperty($iblockId, $elementId, $by = 'sort', $order = 'asc', $filter = []): ArrayResult
    {
        $rows = [];
        foreach (World::$properties as $property) {
            if ($property['iblock'] !== (int) $iblockId || (isset($filter['CODE']) && $filter['CODE'] !== $property['code'])) {
                continue;
            }
            $value = World::$elements[(int) $elementId]['properties'][$property['code']] ?? null;
            $rows[] = ['ID' => $property['id'], 'CODE' => $property['code'], 'PROPERTY_TYPE' => 'L', 'VALUE' => $value,
                       'VALUE_ENUM' => $value === null ? null : (World::$enums[(int) $value]['value'] ?? null)];
        }
        return new ArrayResult($rows);
    }
}

/** iblock/classes/general/iblockpropertyenum.php: GetByID() is the value's row (PROPERTY_ID) or false. */
class CIBlockPropertyEnum
{
    public static function GetByID($id): array|false
    {
        $enum = World::$enums[(int) $id] ?? null;
        return $enum === null ? false : ['ID' => $enum['id'], 'PROPERTY_ID' => $enum['property'], 'VALUE' => $enum['value']];
    }
}

/** iblock/classes/general/iblockproperty.php: GetByID() gives the property's row (IBLOCK_ID, CODE). */
class CIBlockProperty
{
    public static function GetByID($id, $iblockId = false, $iblockCode = false): ArrayResult
    {
        $property = World::$properties[(int) $id] ?? null;
        return new ArrayResult($property === null ? [] : [['ID' => $property['id'], 'IBLOCK_ID' => $property['iblock'], 'CODE' => $property['code']]]);
    }
}

/** main/classes/general/user.php: GetUserGroup() lists the user's group ids (1: administrators). */
class CUser
{
    public static function GetUserGroup($id): array
    {
        return World::$groups[(int) $id] ?? [];
    }
}

/** main/classes/general/agent.php: b_agent; one row per name and module. */
class CAgent
{
    public static function AddAgent($name, $module = '', $period = 'N', $interval = 86400, $datecheck = '', $active = 'Y', $nextExec = '', $sort = 100): int|false
    {
        foreach (World::$agents as $agent) {
            if ($agent['name'] === $name && $agent['module'] === $module) {
                return false;
            }
        }
        World::$agents[] = ['name' => $name, 'module' => $module, 'interval' => (int) $interval];
        return count(World::$agents);
    }

    public static function RemoveModuleAgents($module): void
    {
        World::$agents = array_values(array_filter(World::$agents, static fn (array $a): bool => $a['module'] !== $module));
    }
}

/** main/classes/general/event_log.php: Add() writes b_event_log (Настройки → Журнал событий). */
class CEventLog
{
    public static function Add(array $fields): int
    {
        World::$eventLog[] = $fields;
        return count(World::$eventLog);
    }
}

/** main/classes/general/admin_notify.php: Add() shows a message atop the admin panel, one per TAG. */
class CAdminNotify
{
    public static function Add(array $fields): int
    {
        World::$adminNotify[(string) ($fields['TAG'] ?? count(World::$adminNotify))] = $fields;
        return count(World::$adminNotify);
    }

    public static function DeleteByTag($tag): void
    {
        unset(World::$adminNotify[(string) $tag]);
    }
}

/** main/classes/general/module.php: the base of a module's install/index.php. */
class CModule
{
    public $MODULE_ID;
    public $MODULE_VERSION;
    public $MODULE_VERSION_DATE;
    public $MODULE_NAME;
    public $MODULE_DESCRIPTION;
    public $PARTNER_NAME;
    public $PARTNER_URI;
}

/** main/tools.php: CopyDirFiles($from, $to, $rewrite, $recursive) copies into the site. */
function CopyDirFiles($from, $to, $rewrite = true, $recursive = false): bool
{
    World::$files[] = "copy $from -> $to";
    return true;
}

/** main/tools.php: DeleteDirFiles($from, $to) deletes from $to the files $from has. */
function DeleteDirFiles($from, $to, $except = []): bool
{
    World::$files[] = "delete $from -> $to";
    return true;
}

/** main/tools.php: writes to LOG_FILENAME only when it is defined (here: never). */
function AddMessage2Log($text, $module = '', $traceDepth = 6, $showArgs = false): void
{
}
