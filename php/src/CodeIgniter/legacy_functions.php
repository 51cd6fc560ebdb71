<?php

/**
 * CI < 4.4 only: force_https() sends headers and calls exit(). This replacement builds the same redirect (HSTS
 * header, https URL from baseURL + the current path and query) on the response and hands it to the bridge through
 * ResponseReady, so the worker survives. Loaded before system/Common.php (whose version is function_exists-guarded).
 */

declare(strict_types=1);

use Burner\CodeIgniter\ResponseReady;

if (! function_exists('force_https')) {
    function force_https(int $duration = 31536000, $request = null, $response = null): void
    {
        $request ??= \Config\Services::request(null, true);
        $response ??= \Config\Services::response(null, true);

        if ($request->isSecure()) {
            return;
        }

        // Same safety measure as CI: a session that switches to https gets a fresh id.
        if (session_status() === PHP_SESSION_ACTIVE) {
            \Config\Services::session(null, true)->regenerate();
        }

        $host = (string) preg_replace('#^https?://#i', '', (string) config('App')->baseURL);
        $uri = $request->getUri();
        $target = \CodeIgniter\HTTP\URI::createURIString('https', $host, $uri->getPath(), $uri->getQuery(), $uri->getFragment());

        $response->setHeader('Strict-Transport-Security', 'max-age=' . $duration);
        $response->redirect($target);

        throw new ResponseReady($response);
    }
}

if (! function_exists('cookies')) {
    /**
     * CI < 4.4 sends some cookies (CSRF, the session refresh) with a detached CookieStore whose dispatch() calls
     * setcookie(), which a CLI worker cannot emit. The detached store is replaced by one that hands its cookies to
     * the bridge; the global store (the response's) is unchanged.
     *
     * @param array<\CodeIgniter\Cookie\Cookie> $cookies
     */
    function cookies(array $cookies = [], bool $getGlobal = true): \CodeIgniter\Cookie\CookieStore
    {
        if ($getGlobal) {
            return \Config\Services::response()->getCookieStore();
        }

        return new \Burner\CodeIgniter\Legacy\DetachedCookieStore($cookies);
    }
}
