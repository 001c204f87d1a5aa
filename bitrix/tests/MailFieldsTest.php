<?php
declare(strict_types=1);

namespace CvetyCrm\Tests;

use CvetyCrm\Shop\MailFields;
use PHPUnit\Framework\TestCase;

final class MailFieldsTest extends TestCase
{
    public function testTheStatusEmailGetsTheTrackingLinkAsCrmTrackUrl(): void
    {
        $fields = MailFields::withTrackUrl(['ORDER_ID' => '122183'], 'https://crm.cvety.kz/t/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE');

        self::assertSame('https://crm.cvety.kz/t/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_AbCdE', $fields['CRM_TRACK_URL']);
        self::assertSame('122183', $fields['ORDER_ID']);
    }

    public function testNoLinkARevokedOneOrAnythingButHttpsLeavesTheFieldEmptyNeverThePlaceholder(): void
    {
        foreach ([null, '', 'javascript:alert(1)', 'http://crm.cvety.kz/t/x', 'https://x/"><script>'] as $url) {
            self::assertSame('', MailFields::withTrackUrl([], $url)['CRM_TRACK_URL'], var_export($url, true));
        }
    }
}
