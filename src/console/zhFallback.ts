/**
 * zh-CN words for refusals the console's admin and supervision pages show, used until the error catalogue
 * (src/errors.ts) carries its own `messageZh` for the code (which then wins: see messages.ts zhMessage).
 */
export const FALLBACK_ZH: Record<string, string> = {
  FORBIDDEN: '您没有执行此操作的权限',
  NOT_FOUND: '未找到该记录，或它不在您的管辖范围内',
  USER_NOT_FOUND: '未找到该用户，或该用户不在您的管辖范围内',
  USER_CONFLICT: '该用户名已被使用',
  VALIDATION_FAILED: '填写的内容有误，请按提示修改',
  SETTING_VERSION_CONFLICT: '此设置已被他人更新，请刷新后重试',
  PRECONDITION_REQUIRED: '页面缺少版本信息，请刷新后重试',
  WEBHOOK_TARGET_REFUSED: '推送地址不允许指向内网、本机或保留地址',
  CSRF_TOKEN_INVALID: '页面已过期，请刷新后重新提交',
  UNAUTHENTICATED: '请先登录',
};

/** Why a webhook target is refused (WEBHOOK_TARGET_REFUSED details.reason), in Chinese. */
export const WEBHOOK_REFUSAL_ZH: Record<string, string> = {
  loopback: '推送地址不能指向本机（回环地址）',
  private: '推送地址不能指向内网（私有网络地址）',
  link_local: '推送地址不能指向链路本地地址',
  metadata: '推送地址不能指向云平台元数据服务',
  unspecified: '推送地址不能是未指定地址',
  multicast: '推送地址不能是组播地址',
  broadcast: '推送地址不能是广播地址',
  reserved: '推送地址不能是保留地址或文档示例地址',
  numeric_host: 'IPv4 地址请写成四段十进制数字',
  unresolvable: '推送地址的域名无法解析',
};
