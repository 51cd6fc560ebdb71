<?php

declare(strict_types=1);

namespace Burner\CodeIgniter\Legacy;

use Burner\CodeIgniter\ResponseReady;

/**
 * CI < 4.4: run() answers route redirects (RedirectException), page-cache hits and the 404 override by sending the
 * response and calling exit. Sending is made a no-op and exit becomes a ResponseReady carrying the response, so the
 * bridge returns it instead of the process ending.
 */
class LegacyCodeIgniter extends \CodeIgniter\CodeIgniter
{
    protected function sendResponse()
    {
    }

    protected function callExit($code)
    {
        throw new ResponseReady($this->response);
    }

    /** The response run() built, for paths that return nothing (the 404 override). */
    public function burnerResponse(): ?object
    {
        return $this->response;
    }
}
