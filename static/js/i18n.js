// Chinese and English strings, the language switch and the light/dark theme switch. Both
// choices are kept in localStorage; the document's lang and data-theme attributes follow.

const STRINGS = {
  app_title: ['WSS 管理面板', 'WSS Panel'],
  username: ['用户名', 'Username'], password: ['密码', 'Password'], login: ['登录', 'Log in'],
  logout: ['退出', 'Log out'], theme: ['主题', 'Theme'],
  bad_login: ['用户名或密码错误', 'Invalid username or password'],
  throttled: ['失败次数过多，请稍后再试', 'Too many failed attempts; try again later'],
  nav_dashboard: ['仪表盘', 'Dashboard'], nav_users: ['用户', 'Users'], nav_tunnels: ['在线连接', 'Tunnels'],
  nav_payload: ['载荷生成', 'Payload'], nav_hosts: ['Host 白名单', 'Hosts'], nav_security: ['安全', 'Security'],
  nav_settings: ['设置', 'Settings'],
  live_connecting: ['连接中', 'connecting'], live_live: ['实时', 'live'], live_lost: ['已断开', 'lost'],
  cpu: ['CPU', 'CPU'], memory: ['内存', 'Memory'], disk: ['磁盘', 'Disk'], services: ['服务', 'Services'],
  backup: ['备份', 'Backup'], download_backup: ['下载备份', 'Download backup'],
  backup_hint: ['存储的一致快照；面板停止后用 wss-panel restore FILE 恢复。',
    'A consistent snapshot of the store; restore it with the panel stopped: wss-panel restore FILE.'],
  ports: ['端口', 'Ports'], accounts: ['账户', 'Accounts'], online_users: ['在线用户', 'Online users'],
  tunnels: ['连接数', 'Tunnels'], total_traffic: ['总流量', 'Total traffic'], speed: ['实时速度', 'Live speed'],
  restart: ['重启', 'Restart'], listening: ['监听中', 'listening'], closed: ['未监听', 'closed'],
  unknown: ['未知', 'unknown'], upload: ['上传', 'Up'], download: ['下载', 'Down'],
  search: ['搜索用户名或备注', 'Search name or note'], all: ['全部', 'All'],
  status: ['状态', 'Status'], usage: ['用量', 'Usage'], expiry: ['到期', 'Expires'], conns: ['连接', 'Conns'],
  actions: ['操作', 'Actions'], add_user: ['添加用户', 'Add user'], never: ['永不', 'never'],
  kick: ['踢下线', 'Kick'], history: ['流量历史', 'History'], edit: ['编辑', 'Edit'], pause: ['暂停', 'Pause'],
  resume: ['恢复', 'Resume'], renew: ['续期', 'Renew'], reset: ['重置流量', 'Reset traffic'], delete: ['删除', 'Delete'],
  card: ['连接信息', 'Connection'], selected: ['已选', 'selected'], days: ['天数', 'Days'],
  quota_gb: ['流量配额 (GiB, 0=不限)', 'Quota (GiB, 0 = unlimited)'], rate_kbps: ['限速 (KiB/s, 0=不限)', 'Rate (KiB/s, 0 = unlimited)'],
  max_connections: ['最大连接 (0=不限)', 'Max connections (0 = unlimited)'], expires_on: ['到期日 (空=永不)', 'Expires on (empty = never)'],
  require_auth_header: ['必须使用 Proxy-Authorization', 'Require Proxy-Authorization'], allow_shell: ['允许 Shell (444)', 'Allow shell (444)'],
  note: ['备注', 'Note'], save: ['保存', 'Save'], cancel: ['取消', 'Cancel'], close: ['关闭', 'Close'], confirm: ['确认', 'Confirm'],
  new_password: ['新密码 (留空不变)', 'New password (empty = unchanged)'], token_preview: ['Basic 令牌预览', 'Basic token preview'],
  prev: ['上一页', 'Prev'], next: ['下一页', 'Next'], page: ['页', 'page'],
  ip: ['IP', 'IP'], user: ['用户', 'User'], node: ['节点', 'Node'], since: ['连接时间', 'Since'],
  ban: ['封禁', 'Ban'], unban: ['解封', 'Unban'], reason: ['原因', 'Reason'], time: ['时间', 'Time'],
  hosts_help: ['每行一个主机名；空列表表示不限制。', 'One host name per line; an empty list allows any host.'],
  fuse: ['全局熔断阈值 (KiB/s, 0=关闭)', 'Global fuse threshold (KiB/s, 0 = off)'],
  change_password: ['修改管理员密码', 'Change admin password'], current_password: ['当前密码', 'Current password'],
  logs: ['服务日志', 'Service logs'], audit: ['审计日志', 'Audit log'], load: ['加载', 'Load'], older: ['更早', 'Older'],
  saved: ['已保存', 'Saved'], done: ['完成', 'Done'], failed: ['失败', 'failed'],
  confirm_delete: ['确定删除？', 'Delete for good?'], confirm_restart: ['将重启服务：', 'This will restart: '],
  method: ['方法', 'Method'], host: ['主机', 'Host'], split: ['分割载荷', 'Split payload'], auth_mode: ['认证方式', 'Auth mode'],
  generate: ['生成', 'Generate'], copy: ['复制', 'Copy'], copied: ['已复制', 'Copied'],
  active: ['启用', 'active'], paused: ['暂停', 'paused'], expired: ['已到期', 'expired'], exceeded: ['超额', 'exceeded'], fused: ['熔断', 'fused'],
  no_data: ['暂无数据', 'Nothing yet'], who: ['操作者', 'Who'], action: ['动作', 'Action'], target: ['对象', 'Target'], detail: ['详情', 'Detail'],
};

export function lang() {
  return localStorage.getItem('lang') === 'en' ? 'en' : 'zh';
}

export function t(key) {
  const s = STRINGS[key];
  return s ? s[lang() === 'en' ? 1 : 0] : key;
}

/** Fills every [data-i18n] element's text and [data-i18n-ph] placeholder under `root`. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang() === 'en' ? 'en' : 'zh-CN';
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-ph]')) el.placeholder = t(el.dataset.i18nPh);
}

export function toggleLang() {
  localStorage.setItem('lang', lang() === 'en' ? 'zh' : 'en');
  applyI18n();
  document.dispatchEvent(new Event('langchange'));
}

export function applyTheme() {
  const stored = localStorage.getItem('theme');
  const dark = stored ? stored === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.dataset.theme = dark ? 'dark' : 'light';
}

export function toggleTheme() {
  const dark = document.documentElement.dataset.theme === 'dark';
  localStorage.setItem('theme', dark ? 'light' : 'dark');
  applyTheme();
  document.dispatchEvent(new Event('themechange'));
}
