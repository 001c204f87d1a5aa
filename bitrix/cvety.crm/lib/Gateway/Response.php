<?php
declare(strict_types=1);

namespace CvetyCrm\Gateway;

/** A gateway answer: status, headers, and the contract's JSON body. */
final class Response
{
    /**
     * @param array<string, mixed> $body
     * @param array<string, string> $headers
     */
    public function __construct(public readonly int $status, public readonly array $body, public readonly array $headers = [])
    {
    }

    /** @param array<string, mixed> $fields */
    public static function ok(array $fields = []): self
    {
        return new self(200, ['ok' => true] + $fields);
    }

    /** @param array<string, mixed> $extra */
    public static function error(int $status, string $error, string $message, array $extra = [], array $headers = []): self
    {
        return new self($status, ['ok' => false, 'error' => $error, 'message' => $message] + $extra, $headers);
    }

    public function json(): string
    {
        return json_encode($this->body, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
    }

    public function send(): void
    {
        $json = $this->json();
        http_response_code($this->status);
        header('Content-Type: application/json; charset=utf-8');
        header('Content-Length: ' . strlen($json));
        foreach ($this->headers as $name => $value) {
            header("$name: $value");
        }
        echo $json;
    }
}
