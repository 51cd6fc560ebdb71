<?php
/**
 * @var int                                   $visits
 * @var list<array<string, string>>           $categories
 * @var int                                   $category
 * @var list<array<string, string|int|float>> $products
 */
$current = 'All products';
foreach ($categories as $c) {
    if ((int) $c['id'] === $category) {
        $current = $c['name'];
    }
}
?>
<!DOCTYPE html>
<html lang="en">
<head>
    <meta charset="UTF-8">
    <title><?= esc($current) ?> · Burner Supply Co.</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    <meta name="description" content="Tools, parts and supplies for workshops, shipped the next working day.">
    <style>
        *, *::before, *::after { box-sizing: border-box; }
        body { margin: 0; font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; line-height: 1.5; }
        header { background: #24292f; color: #fff; padding: 0.75rem 1.5rem; display: flex; align-items: center; justify-content: space-between; }
        header a { color: #fff; text-decoration: none; font-weight: 600; }
        header .account { font-size: 0.875rem; opacity: 0.85; }
        nav.categories { background: #fff; border-bottom: 1px solid #d0d7de; padding: 0.5rem 1.5rem; }
        nav.categories ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 1rem; }
        nav.categories a { color: #0969da; text-decoration: none; }
        nav.categories a.active { font-weight: 700; color: #1f2328; }
        main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; display: grid; grid-template-columns: 1fr 18rem; gap: 1.5rem; }
        table { width: 100%; border-collapse: collapse; background: #fff; border: 1px solid #d0d7de; }
        th, td { text-align: left; padding: 0.5rem 0.75rem; border-bottom: 1px solid #d0d7de; }
        th { background: #f6f8fa; font-size: 0.8125rem; text-transform: uppercase; letter-spacing: 0.02em; }
        td.price, th.price, td.stock, th.stock { text-align: right; font-variant-numeric: tabular-nums; }
        aside section { background: #fff; border: 1px solid #d0d7de; padding: 1rem; margin-bottom: 1rem; }
        aside h2 { font-size: 1rem; margin: 0 0 0.5rem; }
        footer { border-top: 1px solid #d0d7de; padding: 1.5rem; font-size: 0.8125rem; color: #57606a; text-align: center; }
        .badge { display: inline-block; padding: 0 0.4rem; border-radius: 0.75rem; background: #ddf4ff; color: #0969da; font-size: 0.75rem; }
        .low { background: #fff8c5; color: #9a6700; }
    </style>
</head>
<body>
<header>
    <a href="/">Burner Supply Co.</a>
    <span class="account">Welcome back · visit <strong id="visits"><?= $visits ?></strong> this session · <a href="/cart">Cart (0)</a></span>
</header>
<nav class="categories" aria-label="Categories">
    <ul>
        <?php foreach ($categories as $c): ?>
        <li><a href="/shop/<?= esc($c['slug'], 'url') ?>"<?= (int) $c['id'] === $category ? ' class="active"' : '' ?>><?= esc($c['name']) ?></a></li>
        <?php endforeach ?>
    </ul>
</nav>
<main>
    <div>
        <h1><?= esc($current) ?></h1>
        <p><?= count($products) ?> products in stock, most expensive first. Prices include VAT; orders placed before 3 pm ship the same day.</p>
        <table>
            <thead>
            <tr><th>SKU</th><th>Product</th><th class="price">Price</th><th class="stock">Stock</th><th></th></tr>
            </thead>
            <tbody>
            <?php foreach ($products as $p): ?>
            <tr>
                <td><code><?= esc($p['sku']) ?></code></td>
                <td><a href="/product/<?= (int) $p['id'] ?>"><?= esc($p['name']) ?></a></td>
                <td class="price">€ <?= number_format((float) $p['price'], 2) ?></td>
                <td class="stock"><span class="badge<?= (int) $p['stock'] < 10 ? ' low' : '' ?>"><?= (int) $p['stock'] ?></span></td>
                <td><a href="/cart/add/<?= (int) $p['id'] ?>">Add</a></td>
            </tr>
            <?php endforeach ?>
            </tbody>
        </table>
    </div>
    <aside>
        <section>
            <h2>Delivery</h2>
            <p>Free delivery on orders over € 50 within the country. Pallet goods are delivered by appointment; the driver calls one hour before arrival.</p>
        </section>
        <section>
            <h2>Returns</h2>
            <p>Unused items can be returned within 30 days in their original packaging. Cut-to-size goods and opened consumables cannot be returned.</p>
        </section>
    </aside>
</main>
<footer>
    <p>Burner Supply Co. · Unit 4, Harbour Road · Open Monday to Friday, 8 am to 6 pm · Phone 0123 456 789</p>
    <p>Page rendered for session visit <?= $visits ?>. All prices in euro. Product images are for illustration only.</p>
</footer>
</body>
</html>
