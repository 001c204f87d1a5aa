<?php
// The double of the slice of Bitrix's `main` module the kit calls. Each class names the core file
// (avshatalov48/bitrix-core-business, modules/main/...) whose behaviour it mirrors, for the cases
// the kit's tests cover; the state lives in World.
declare(strict_types=1);

namespace Bitrix\Main {

    use CvetyCrm\Tests\Double\World;

    class SystemException extends \Exception
    {
    }

    /** main/lib/notimplementedexception.php (sale throws it for setField('CURRENCY')). */
    class NotImplementedException extends SystemException
    {
    }

    class ArgumentNullException extends SystemException
    {
    }

    /** main/lib/error.php */
    class Error
    {
        public function __construct(private string $message, private int|string $code = 0)
        {
        }

        public function getMessage(): string
        {
            return $this->message;
        }

        public function getCode(): int|string
        {
            return $this->code;
        }
    }

    /** main/lib/result.php: success is "no errors"; data rides along. */
    class Result
    {
        /** @var list<Error> */
        protected array $errors = [];
        protected array $data = [];

        public function isSuccess(): bool
        {
            return $this->errors === [];
        }

        public function addError(Error $error): static
        {
            $this->errors[] = $error;
            return $this;
        }

        /** @param list<Error> $errors */
        public function addErrors(array $errors): static
        {
            foreach ($errors as $error) {
                $this->addError($error);
            }
            return $this;
        }

        /** @return list<Error> */
        public function getErrors(): array
        {
            return $this->errors;
        }

        /** @return list<string> */
        public function getErrorMessages(): array
        {
            return array_map(static fn (Error $e): string => $e->getMessage(), $this->errors);
        }

        public function setData(array $data): static
        {
            $this->data = $data;
            return $this;
        }

        public function getData(): array
        {
            return $this->data;
        }
    }

    /** main/lib/application.php: the connection, and jobs run after the answer. */
    class Application
    {
        private static ?self $instance = null;
        /** @var list<callable> */
        public array $backgroundJobs = [];

        public static function getInstance(): self
        {
            return self::$instance ??= new self();
        }

        public static function getConnection(): DB\Connection
        {
            return new DB\Connection(World::$pdo);
        }

        public function addBackgroundJob(callable $job): void
        {
            $this->backgroundJobs[] = $job;
        }

        /** main/lib/application.php isUtfMode(): a windows-1251 site answers false. */
        public function isUtfMode(): bool
        {
            return World::$utf8;
        }

        public static function getDocumentRoot(): string
        {
            return '/var/www/cvety.kz';
        }

        /** main/lib/application.php end(): sends the response, then CMain::finalActions() runs the background jobs. */
        public function end($status = 0, ?HttpResponse $response = null): void
        {
            World::$sent = $response;
            $jobs = $this->backgroundJobs;
            $this->backgroundJobs = [];
            foreach ($jobs as $job) {
                $job();
            }
        }

        public function getContext(): Context
        {
            return Context::$current ??= new Context(new HttpRequest([], [], ''), new HttpResponse());
        }
    }

    /** main/lib/context.php: the request and the response of this hit. */
    class Context
    {
        public static ?self $current = null;

        public function __construct(private HttpRequest $request, private HttpResponse $response)
        {
        }

        public function getRequest(): HttpRequest
        {
            return $this->request;
        }

        public function getResponse(): HttpResponse
        {
            return $this->response;
        }
    }

    /**
     * main/lib/httprequest.php: getRequestMethod(); getHeader() reads the server's HTTP_*
     * variables case-insensitively (main/lib/server.php + web/httpheaders.php); getInput() is
     * the raw body (php://input).
     */
    class HttpRequest
    {
        /** @param array<string, string> $headers */
        public function __construct(private array $headers, private array $server, private string $input, private string $method = 'POST')
        {
            $this->headers = array_change_key_case($headers, CASE_LOWER);
        }

        public function getRequestMethod(): string
        {
            return $this->method;
        }

        public function getHeader(string $name): ?string
        {
            return $this->headers[strtolower($name)] ?? null;
        }

        public function getInput(): string
        {
            return $this->input;
        }
    }

    /** main/lib/httpresponse.php: status, headers, content; flush() sends them. */
    class HttpResponse
    {
        public ?string $status = null;
        /** @var array<string, string> */
        public array $headers = [];
        public string $content = '';

        public function setStatus(int|string $status): static
        {
            $this->status = (string) $status;
            return $this;
        }

        public function addHeader(string $name, string $value): static
        {
            $this->headers[$name] = $value;
            return $this;
        }

        public function setContent(string $content): static
        {
            $this->content = $content;
            return $this;
        }
    }

    /** main/lib/loader.php: includeModule is true only for an installed module. */
    class Loader
    {
        public static function includeModule(string $module): bool
        {
            return World::$modules[$module] ?? false;
        }
    }

    /** main/lib/modulemanager.php: b_module. */
    class ModuleManager
    {
        public static function registerModule(string $module): void
        {
            World::$modules[$module] = true;
        }

        public static function unRegisterModule(string $module): void
        {
            unset(World::$modules[$module]);
        }

        public static function isModuleInstalled(string $module): bool
        {
            return World::$modules[$module] ?? false;
        }
    }

    /**
     * main/lib/eventmanager.php: runtime handlers (addEventHandler*) and persistent ones
     * (registerEventHandler*, b_module_to_module: called after including their module).
     * The *Compatible kinds get the event's parameters as arguments; the others one Event.
     */
    class EventManager
    {
        private static ?self $instance = null;
        /** @var list<array{from: string, event: string, callback: callable, compatible: bool}> */
        private array $runtime = [];

        public static function getInstance(): self
        {
            return self::$instance ??= new self();
        }

        public static function reset(): void
        {
            self::$instance = null;
        }

        public function addEventHandler(string $from, string $event, callable $callback): int
        {
            $this->runtime[] = ['from' => $from, 'event' => $event, 'callback' => $callback, 'compatible' => false];
            return count($this->runtime);
        }

        public function addEventHandlerCompatible(string $from, string $event, callable $callback): int
        {
            $this->runtime[] = ['from' => $from, 'event' => $event, 'callback' => $callback, 'compatible' => true];
            return count($this->runtime);
        }

        public function registerEventHandler(string $from, string $event, string $to, string $class, string $method): void
        {
            $this->register($from, $event, $to, $class, $method, false);
        }

        public function registerEventHandlerCompatible(string $from, string $event, string $to, string $class, string $method): void
        {
            $this->register($from, $event, $to, $class, $method, true);
        }

        public function unRegisterEventHandler(string $from, string $event, string $to, string $class, string $method): void
        {
            World::$handlers = array_values(array_filter(World::$handlers, static fn (array $h): bool =>
                !($h['from'] === $from && $h['event'] === $event && $h['to'] === $to && $h['class'] === $class && $h['method'] === $method)));
        }

        private function register(string $from, string $event, string $to, string $class, string $method, bool $compatible): void
        {
            foreach (World::$handlers as $handler) {
                if ($handler['from'] === $from && $handler['event'] === $event && $handler['class'] === $class && $handler['method'] === $method) {
                    return; // registerEventHandler adds a row once
                }
            }
            World::$handlers[] = compact('from', 'event', 'to', 'class', 'method', 'compatible');
        }

        /** @return list<array{callback: callable, compatible: bool}> */
        public function findEventHandlers(string $from, string $event): array
        {
            $found = [];
            foreach (World::$handlers as $handler) {
                if (strcasecmp($handler['from'], $from) === 0 && strcasecmp($handler['event'], $event) === 0
                    && Loader::includeModule($handler['to'])) {
                    $found[] = ['callback' => [$handler['class'], $handler['method']], 'compatible' => $handler['compatible']];
                }
            }
            foreach ($this->runtime as $handler) {
                if (strcasecmp($handler['from'], $from) === 0 && strcasecmp($handler['event'], $event) === 0) {
                    $found[] = $handler;
                }
            }
            return $found;
        }
    }

    /** main/lib/event.php: send() calls each handler; a compatible one gets the parameters. */
    class Event
    {
        public function __construct(private string $module, private string $type, private array $parameters = [])
        {
        }

        public function getParameter(string $name): mixed
        {
            return $this->parameters[$name] ?? null;
        }

        public function getParameters(): array
        {
            return $this->parameters;
        }

        public function send(): void
        {
            foreach (EventManager::getInstance()->findEventHandlers($this->module, $this->type) as $handler) {
                if ($handler['compatible']) {
                    call_user_func_array($handler['callback'], array_values($this->parameters));
                } else {
                    call_user_func($handler['callback'], $this);
                }
            }
        }
    }

    /** main/lib/site.php (SiteTable, b_lang): by =LID. */
    class SiteTable
    {
        public static function getList(array $parameters): DB\ArrayResult
        {
            return new DB\ArrayResult(($parameters['filter']['=LID'] ?? '') === 's1' ? [['LID' => 's1', 'NAME' => 'cvety.kz']] : []);
        }
    }

    class UserTable
    {
        /** main/lib/user.php (ORM getList over b_user): the filter `=ID` only. */
        public static function getList(array $parameters): DB\ArrayResult
        {
            $id = (int) ($parameters['filter']['=ID'] ?? 0);
            $user = World::$users[$id] ?? null;
            return new DB\ArrayResult($user === null ? [] : [array_intersect_key($user, array_flip($parameters['select'] ?? array_keys($user)))]);
        }
    }
}

namespace Bitrix\Main\Config {

    use CvetyCrm\Tests\Double\World;

    /** main/lib/config/option.php: b_option; get() gives the default when unset. */
    class Option
    {
        public static function get(string $module, string $name, mixed $default = '', string|false $siteId = false): string
        {
            return World::$options[$module][$name] ?? (string) $default;
        }

        public static function set(string $module, string $name, mixed $value = '', string $siteId = ''): void
        {
            World::$options[$module][$name] = (string) $value;
        }

        public static function delete(string $module, array $filter = []): void
        {
            if (isset($filter['name'])) {
                unset(World::$options[$module][$filter['name']]);
                return;
            }
            unset(World::$options[$module]);
        }

        /** @return array<string, string> */
        public static function getForModule(string $module): array
        {
            return World::$options[$module] ?? [];
        }
    }
}

namespace Bitrix\Main\Type {

    /** main/lib/type/datetime.php (a timestamp is all the kit reads). */
    class DateTime
    {
        public function __construct(private int $timestamp = 0)
        {
            $this->timestamp = $timestamp ?: time();
        }

        public static function createFromTimestamp(int $timestamp): self
        {
            return new self($timestamp);
        }

        public static function createFromPhp(\DateTime $date): self
        {
            return new self($date->getTimestamp());
        }

        public function getTimestamp(): int
        {
            return $this->timestamp;
        }
    }
}

namespace Bitrix\Main\DB {

    use PDO;

    /**
     * main/lib/db/connection.php + mysqliconnection.php: query() gives a Result, queryExecute()
     * runs, getInsertedId()/getAffectedRowsCount() tell about the last statement, transactions
     * nest by level (only the outer one reaches the server), getSqlHelper()->forSql() escapes.
     * getType() is 'mysql' on MySQL; the double on SQLite answers 'sqlite'.
     */
    class Connection
    {
        private static array $levels = [];
        private static array $affected = [];

        public function __construct(private PDO $pdo)
        {
        }

        public function getType(): string
        {
            return $this->pdo->getAttribute(PDO::ATTR_DRIVER_NAME) === 'mysql' ? 'mysql' : 'sqlite';
        }

        public function query(string $sql): ArrayResult
        {
            return new ArrayResult($this->pdo->query($sql)->fetchAll(PDO::FETCH_ASSOC));
        }

        public function queryExecute(string $sql): void
        {
            self::$affected[spl_object_id($this->pdo)] = (int) $this->pdo->exec($sql);
        }

        public function getAffectedRowsCount(): int
        {
            return self::$affected[spl_object_id($this->pdo)] ?? 0;
        }

        public function getInsertedId(): int
        {
            return (int) $this->pdo->lastInsertId();
        }

        public function getSqlHelper(): SqlHelper
        {
            return new SqlHelper($this->pdo);
        }

        public function startTransaction(): void
        {
            $key = spl_object_id($this->pdo);
            if ((self::$levels[$key] ?? 0) === 0) {
                $this->pdo->beginTransaction();
            }
            self::$levels[$key] = (self::$levels[$key] ?? 0) + 1;
        }

        public function commitTransaction(): void
        {
            $key = spl_object_id($this->pdo);
            self::$levels[$key]--;
            if (self::$levels[$key] === 0) {
                $this->pdo->commit();
            }
        }

        public function rollbackTransaction(): void
        {
            $key = spl_object_id($this->pdo);
            self::$levels[$key] = 0;
            if ($this->pdo->inTransaction()) {
                $this->pdo->rollBack();
            }
        }
    }

    /** main/lib/db/mysqlisqlhelper.php: forSql() escapes a value for inside quotes. */
    class SqlHelper
    {
        public function __construct(private PDO $pdo)
        {
        }

        public function forSql(string $value): string
        {
            return substr($this->pdo->quote($value), 1, -1);
        }
    }

    /** main/lib/db/result.php (and ArrayResult): fetch() until false. */
    class ArrayResult
    {
        public function __construct(private array $rows)
        {
        }

        public function fetch(): array|false
        {
            $row = array_shift($this->rows);
            return $row ?? false;
        }
    }

    class Result extends ArrayResult
    {
    }
}
