<?php
declare(strict_types=1);

namespace CvetyCrm\Gateway;

/** A request field that is not what the contract says: its path and a Russian message. */
final class Invalid extends \RuntimeException
{
    public function __construct(public readonly string $field, string $message)
    {
        parent::__construct($message);
    }
}
