<?php

/**
 * CI's UploadedFile calls is_uploaded_file()/move_uploaded_file() unqualified from the CodeIgniter\HTTP\Files
 * namespace, so PHP resolves these namespaced functions first. Files the server received for the current request
 * (registered by RequestMapper) count as uploaded; anything else falls through to PHP's own checks, so a path
 * outside the request's uploads can never be "moved" through this door.
 */

declare(strict_types=1);

namespace CodeIgniter\HTTP\Files;

use Burner\CodeIgniter\Uploads;

if (! function_exists(__NAMESPACE__ . '\is_uploaded_file')) {
    function is_uploaded_file(string $filename): bool
    {
        return Uploads::isRegistered($filename) ? is_file($filename) : \is_uploaded_file($filename);
    }
}

if (! function_exists(__NAMESPACE__ . '\move_uploaded_file')) {
    function move_uploaded_file(string $from, string $to): bool
    {
        if (! Uploads::isRegistered($from)) {
            return \move_uploaded_file($from, $to);
        }

        return Uploads::move($from, $to);
    }
}
