<?php

declare(strict_types=1);

namespace Burner\CodeIgniter;

/**
 * CI's Toolbar::respond() (run from the pre_system event) answers `?debugbar` and `?debugbar_time=` by echoing and
 * calling exit. In the worker these requests are answered here, before CodeIgniter runs, with the same content:
 * the loader script, or the stored toolbar data formatted by the Toolbar itself.
 */
final class DebugToolbar
{
    /** @return object|null a CodeIgniter response, or null when this is not a toolbar request */
    public function handle(object $request): ?object
    {
        if (! defined('CI_DEBUG') || ! CI_DEBUG || ENVIRONMENT === 'testing') {
            return null;
        }
        $wantsLoader = array_key_exists('debugbar', $_GET);
        $time = $_GET['debugbar_time'] ?? null;
        if (! $wantsLoader && ($time === null || $time === '')) {
            return null;
        }

        $response = \Config\Services::response();
        $config = config('Toolbar');

        if ($wantsLoader) {
            // CI 4.1-4.3 ship the loader as a PHP view; 4.4+ as plain JS with a {url} placeholder.
            $view = $config->viewsPath . 'toolbarloader.js.php';
            $plain = ! is_file($view);
            $level = ob_get_level();
            ob_start();
            try {
                include $plain ? $config->viewsPath . 'toolbarloader.js' : $view;
            } finally {
                $body = '';
                while (ob_get_level() > $level) {
                    $body = ob_get_clean() . $body;
                }
            }
            if ($plain) {
                $body = str_replace('{url}', rtrim(site_url(), '/'), $body);
            }

            return $response->setHeader('Content-Type', 'application/javascript')->setBody($body);
        }

        helper('security');
        $format = $request->negotiate('media', ['text/html', 'application/json', 'application/xml']);
        $format = explode('/', $format)[1] ?? 'html';
        $file = WRITEPATH . 'debugbar/' . sanitize_filename('debugbar_' . (is_string($time) ? $time : '')) . '.json';
        if (! is_file($file)) {
            return $response->setStatusCode(404)->setBody('');
        }
        $toolbar = \Config\Services::toolbar();
        $body = (fn () => $this->format(file_get_contents($file), $format))->call($toolbar);

        return $response->setBody((string) $body);
    }
}
