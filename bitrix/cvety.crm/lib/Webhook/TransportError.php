<?php
declare(strict_types=1);

namespace CvetyCrm\Webhook;

/** No HTTP answer: the connection was refused, or the timeouts ran out. */
final class TransportError extends \RuntimeException
{
}
