<?php

// Creates <app>/writable/bench.sqlite for the JSON endpoint (bench/apps/ci4/app/Controllers/BenchJson.php).
//   php bench/apps/ci4/setup-db.php <app-root>

declare(strict_types=1);

$root = $argv[1] ?? '';
if ($root === '' || ! is_dir($root . '/writable')) {
    fwrite(STDERR, "usage: php setup-db.php <ci4-app-root>\n");
    exit(2);
}
$file = $root . '/writable/bench.sqlite';
@unlink($file);
$db = new SQLite3($file);
$db->exec('CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL NOT NULL)');
$db->exec('BEGIN');
$insert = $db->prepare('INSERT INTO items (id, name, price) VALUES (:id, :name, :price)');
for ($i = 1; $i <= 1000; $i++) {
    $insert->bindValue(':id', $i, SQLITE3_INTEGER);
    $insert->bindValue(':name', 'item ' . $i, SQLITE3_TEXT);
    $insert->bindValue(':price', round($i * 1.25, 2), SQLITE3_FLOAT);
    $insert->execute();
    $insert->reset();
}
$db->exec('COMMIT');
$db->close();
echo $file, "\n";
