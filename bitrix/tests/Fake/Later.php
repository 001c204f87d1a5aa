<?php
declare(strict_types=1);

namespace CvetyCrm\Tests\Fake;

use CvetyCrm\Webhook\Deferrer;

/** Background jobs kept until the "page" is done; run() runs them, as Bitrix does after the answer. */
final class Later implements Deferrer
{
    /** @var list<callable> */
    public array $jobs = [];

    public function defer(callable $job): void
    {
        $this->jobs[] = $job;
    }

    public function run(): void
    {
        $jobs = $this->jobs;
        $this->jobs = [];
        foreach ($jobs as $job) {
            $job();
        }
    }
}
