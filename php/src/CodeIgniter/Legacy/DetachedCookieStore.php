<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Legacy;

use Burner\CodeIgniter\CookieHeader;
use Burner\CodeIgniter\PendingCookies;
use CodeIgniter\Cookie\CookieStore;

/** CI < 4.4: a cookie store whose dispatch() goes to the bridge's response instead of setcookie(). */
class DetachedCookieStore extends CookieStore
{
    public function dispatch(): void
    {
        foreach ($this->display() as $cookie) {
            PendingCookies::add($cookie->getPrefixedName(), CookieHeader::fromCookie($cookie));
        }
        $this->clear();
    }
}
